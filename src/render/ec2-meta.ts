// The EC2 meta-data tree of one version as a nested value (ec2-imds.md §3, openstack-metadata.md §10). Both the
// HTTP tree (one leaf per key, listings per folder) and the config drive's meta-data.json come from this one value,
// so they cannot disagree.
import type { Link, ResolvedVm } from '../spec/schema.js';
import { formatIp, networkCidr, parseCidr } from '../spec/cidr.js';
import { ec2Has, type Ec2Version } from './versions.js';

export type Ec2Node = string | Ec2Dir;
export interface Ec2Dir {
  [name: string]: Ec2Node;
}

// Values with no meaning for a vmmeta guest that AWS and Nova always serve; cloud-init reads none of them, and a
// constant keeps the tree deterministic. Every key listed must answer 200 with a non-empty value (a 404 on a
// listed key makes cloud-init's crawl give up on the whole tree), so unknown values are constants, not blanks.
export const EC2_CONSTANTS = {
  amiId: 'ami-00000000',
  amiManifestPath: '(unknown)', // what AWS serves for EBS-backed images
  instanceType: 'vmmeta.custom',
  securityGroups: 'default',
  instanceAction: 'none',
  rootDevice: 'vda', // virtio disk, as Nova's block-device-mapping names a virtio root
} as const;

function addressOf(cidrText: string): string {
  const c = parseCidr(cidrText);
  if (!c) throw new Error(`render: ${cidrText} is not a CIDR (the spec rules should have refused it)`);
  return formatIp({ family: c.family, value: c.address });
}

// The first static IPv4 address of the VM (local-ipv4, privateIp), on any link.
export function primaryIpv4(vm: ResolvedVm): string | undefined {
  const n = vm.network.networks.find((x) => x.type === 'ipv4');
  return n && n.type === 'ipv4' ? addressOf(n.address) : undefined;
}

// The NICs EC2 describes: physical links that are not bond members (EC2 has no bonds or VLANs, and cloud-init
// turns every MAC listed here into a DHCP interface, which a bond member must not become).
export function ec2Nics(vm: ResolvedVm): Extract<Link, { type: 'physical' }>[] {
  const members = new Set(vm.network.links.flatMap((l) => (l.type === 'bond' ? l.members : [])));
  return vm.network.links.filter(
    (l): l is Extract<Link, { type: 'physical' }> => l.type === 'physical' && !members.has(l.id),
  );
}

function nicTree(vm: ResolvedVm, nic: Extract<Link, { type: 'physical' }>, index: number, version: Ec2Version): Ec2Dir {
  const nets = vm.network.networks.filter((n) => n.link === nic.id);
  const v4 = nets.flatMap((n) => (n.type === 'ipv4' ? [n.address] : []));
  const v6 = nets.flatMap((n) => (n.type === 'ipv6' ? [n.address] : []));
  const out: Ec2Dir = { 'device-number': String(index), 'local-hostname': vm.hostname, mac: nic.mac };
  // Several addresses: one per line; cloud-init adds the ones after the first as secondary addresses with the
  // prefix of subnet-ipv4-cidr-block (DataSourceEc2.get_secondary_addresses).
  if (v4.length > 0) {
    out['local-ipv4s'] = v4.map(addressOf).join('\n');
    out['subnet-ipv4-cidr-block'] = networkCidr(parseCidr(v4[0]!)!);
  }
  if (v6.length > 0 && ec2Has(version, 'ipv6')) {
    out.ipv6s = v6.map(addressOf).join('\n');
    out['subnet-ipv6-cidr-blocks'] = [...new Set(v6.map((a) => networkCidr(parseCidr(a)!)))].join('\n');
  }
  return out;
}

// Key text with no trailing newline: cloud-init splits any multi-line leaf into a list (MetadataLeafDecoder).
function keyText(key: string): string {
  return key.replace(/\s+$/, '');
}

export function ec2MetaData(vm: ResolvedVm, version: Ec2Version): Ec2Dir {
  const md: Ec2Dir = {
    'ami-id': EC2_CONSTANTS.amiId,
    'ami-launch-index': String(vm.launchIndex),
    'ami-manifest-path': EC2_CONSTANTS.amiManifestPath,
    hostname: vm.hostname,
    // AWS's "i-" form (EC2-only clients such as CirrOS wait for it), unless the spec names one id for all.
    'instance-id': vm.ec2InstanceId,
    'reservation-id': `r-${vm.uuid.replaceAll('-', '').slice(0, 17)}`,
    'security-groups': EC2_CONSTANTS.securityGroups,
  };
  const ipv4 = primaryIpv4(vm);
  if (ipv4 !== undefined) md['local-ipv4'] = ipv4;
  // Indexed by position; the listing renders them as `i=name` lines (see ec2.ts).
  if (vm.sshKeys.length > 0)
    md['public-keys'] = Object.fromEntries(vm.sshKeys.map((k, i) => [String(i), { 'openssh-key': keyText(k.key) }]));
  if (ec2Has(version, 'localHostname')) {
    md['local-hostname'] = vm.hostname;
    md['public-hostname'] = vm.hostname;
  }
  if (ec2Has(version, 'instanceType')) md['instance-type'] = EC2_CONSTANTS.instanceType;
  if (ec2Has(version, 'blockDeviceMapping'))
    md['block-device-mapping'] = { ami: EC2_CONSTANTS.rootDevice, root: `/dev/${EC2_CONSTANTS.rootDevice}` };
  if (ec2Has(version, 'placement')) md.placement = { 'availability-zone': vm.availabilityZone };
  if (ec2Has(version, 'instanceAction')) md['instance-action'] = EC2_CONSTANTS.instanceAction;
  const nics = ec2Nics(vm);
  if (ec2Has(version, 'network') && nics.length > 0) {
    md.mac = nics[0]!.mac;
    md.network = {
      interfaces: { macs: Object.fromEntries(nics.map((nic, i) => [nic.mac, nicTree(vm, nic, i, version)])) },
    };
  }
  return md;
}

// AWS region names are the availability zone without its letter ("us-east-1a" -> "us-east-1"); an AZ that does
// not look like that (Nova's "nova") is its own region rather than a truncated word.
export function regionOf(az: string): string {
  const m = /^(.*\d)[a-z]$/.exec(az);
  return m ? m[1]! : az;
}

const ARCH: Record<ResolvedVm['guest']['arch'], string> = {
  x86_64: 'x86_64',
  aarch64: 'arm64',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

// dynamic/instance-identity/document. cloud-init reads it only when DMI says AWS (then instanceId, region and
// availabilityZone override the meta-data); AWS SDKs read region from it.
export function instanceIdentity(vm: ResolvedVm): Record<string, unknown> {
  const ip = primaryIpv4(vm);
  return {
    architecture: ARCH[vm.guest.arch],
    availabilityZone: vm.availabilityZone,
    imageId: EC2_CONSTANTS.amiId,
    instanceId: vm.ec2InstanceId,
    instanceType: EC2_CONSTANTS.instanceType,
    ...(ip === undefined ? {} : { privateIp: ip }),
    region: regionOf(vm.availabilityZone),
    version: '2017-09-30',
  };
}
