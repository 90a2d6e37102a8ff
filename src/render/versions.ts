// Metadata versions, as tables: a new version is a new row. Each renderer asks "does version V have feature F"
// through these helpers instead of comparing date strings in place.

// Nova's OPENSTACK_VERSIONS (nova/api/metadata/base.py), oldest first, with what each one added. The dates are
// compared as strings, which works because they are all ISO dates.
export const OPENSTACK_VERSIONS = [
  {
    date: '2012-08-10',
    release: 'Folsom',
    adds: 'meta_data.json (uuid, name, hostname, launch_index, availability_zone, meta, public_keys), user_data',
  },
  { date: '2013-04-04', release: 'Grizzly', adds: 'random_seed in meta_data.json; the password endpoint' },
  { date: '2013-10-17', release: 'Havana', adds: 'vendor_data.json' },
  { date: '2015-10-15', release: 'Liberty', adds: 'network_data.json; project_id in meta_data.json' },
  { date: '2016-06-30', release: 'Newton', adds: 'devices (device role tagging) in meta_data.json' },
  { date: '2016-10-06', release: 'Newton', adds: 'vendor_data2.json' },
  { date: '2017-02-22', release: 'Ocata', adds: 'vlan on nic devices' },
  { date: '2018-08-27', release: 'Rocky', adds: 'vf_trusted on nic devices (vmmeta has no SR-IOV, so never emitted)' },
  { date: '2020-10-14', release: 'Victoria', adds: 'dedicated_cpus in meta_data.json' },
  { date: '2025-04-04', release: 'Epoxy', adds: 'share devices (vmmeta has no shares, so never emitted)' },
] as const;

export type OpenStackVersion = (typeof OPENSTACK_VERSIONS)[number]['date'];
export const OPENSTACK_DATES: readonly OpenStackVersion[] = OPENSTACK_VERSIONS.map((v) => v.date);
// Nova's `latest` is the newest entry; cloud-init itself reads the newest date it knows (2018-08-27).
export const OPENSTACK_LATEST: OpenStackVersion = OPENSTACK_DATES[OPENSTACK_DATES.length - 1]!;

// The first version that has each OpenStack feature (Nova's _check_os_version calls).
export const OPENSTACK_SINCE = {
  randomSeed: '2013-04-04',
  password: '2013-04-04',
  vendorData: '2013-10-17',
  networkData: '2015-10-15',
  projectId: '2015-10-15',
  devices: '2016-06-30',
  vendorData2: '2016-10-06',
  nicVlan: '2017-02-22',
  dedicatedCpus: '2020-10-14',
} as const satisfies Record<string, OpenStackVersion>;

export function openStackHas(version: OpenStackVersion, feature: keyof typeof OPENSTACK_SINCE): boolean {
  return version >= OPENSTACK_SINCE[feature];
}

// EC2 versions served. Nova stops at 2009-04-04; cloud-init's Ec2 datasource never asks for `latest` and probes
// 2021-03-23, 2018-09-24, 2016-09-02 and 2009-04-04 (DataSourceEc2.py extended_metadata_versions), so those dates
// are served too. `latest` has the content of the newest date.
export const EC2_VERSIONS = [
  '1.0',
  '2007-01-19',
  '2007-03-01',
  '2007-08-29',
  '2007-10-10',
  '2007-12-15',
  '2008-02-01',
  '2008-09-01',
  '2009-04-04',
  '2016-09-02',
  '2018-09-24',
  '2021-03-23',
] as const;
export type Ec2Version = (typeof EC2_VERSIONS)[number];
export const EC2_LATEST: Ec2Version = EC2_VERSIONS[EC2_VERSIONS.length - 1]!;

// The first EC2 version of each meta-data key vmmeta serves (AWS instancedata-data-categories; Nova base.py).
// "1.0" sorts before every date, so plain string comparison still works.
export const EC2_SINCE = {
  base: '1.0', // ami-id, ami-launch-index, ami-manifest-path, hostname, instance-id, local-ipv4, public-keys, reservation-id, security-groups
  localHostname: '2007-01-19', // local-hostname, public-hostname
  instanceType: '2007-08-29',
  blockDeviceMapping: '2007-12-15',
  placement: '2008-02-01',
  instanceAction: '2008-09-01',
  dynamic: '2009-04-04', // dynamic/instance-identity/document
  network: '2011-01-01', // mac, network/interfaces/macs/<mac>/…
  ipv6: '2016-06-30', // network/interfaces/macs/<mac>/ipv6s, subnet-ipv6-cidr-blocks
} as const;

export function ec2Has(version: Ec2Version, feature: keyof typeof EC2_SINCE): boolean {
  return version >= EC2_SINCE[feature];
}

// Versions written to a config drive: Nova skips EC2 versions before 2009-04-04 there (config_drive_skip_versions).
export const CONFIG_DRIVE_EC2_VERSIONS = ['2009-04-04', 'latest'] as const;
