// A model of Debian's ds-identify (the systemd generator that writes /run/cloud-init/cloud.cfg) for the four
// cloud-init generations vmmeta supports. Every rule cites the script it comes from; test/client/dsidentify-*.test.ts
// runs the real scripts from bullseye, bookworm, trixie and sid on fake roots and fails on any disagreement.
export type CloudInitGeneration = '20.4' | '22.4' | '25.1' | '26.2';

export const GENERATIONS: readonly CloudInitGeneration[] = ['20.4', '22.4', '25.1', '26.2'];

// Generations are ordered: a rule that "arrived in 25.1" holds for every later one.
export function atLeast(gen: CloudInitGeneration, min: CloudInitGeneration): boolean {
  return GENERATIONS.indexOf(gen) >= GENERATIONS.indexOf(min);
}

export interface DmiInput {
  productName: string;
  assetTag: string;
  serial: string;
  uuid: string;
  sysVendor?: string;
}

export interface Policy {
  found: 'all' | 'first';
  maybe: 'all' | 'none';
  notfound: 'enabled' | 'disabled';
}

export interface DsIdentifyResult {
  list: string[] | null; // null: nothing written, cloud-init uses its built-in list
  rc: 0 | 1;
  found: string[];
  maybe: string[];
  policy: Policy;
}

// DI_DEFAULT_POLICY / DI_DEFAULT_POLICY_NO_DMI at the top of each generation's script (Debian packages:
// bullseye 20.4.1-2+deb11u1, bookworm 22.4.2-1+deb12u4 with the CVE-2024-6174 backport, trixie 25.1.4-1+deb13u1,
// which already disables on non-x86 as upstream 25.2 does, sid 26.2-1: the same two lines as trixie).
// "maybe" only ever comes from OpenStack on non-x86 here: 20.4 takes it (maybe=all), 22.4 ignores it but stays
// enabled without DMI, 25.1 and 26.2 ignore it and disable cloud-init.
export function defaultPolicy(gen: CloudInitGeneration, arch: string): Policy {
  const x86 = isX86(arch);
  if (gen === '20.4') return { found: 'all', maybe: 'all', notfound: x86 ? 'disabled' : 'enabled' };
  if (gen === '22.4') return { found: 'all', maybe: 'none', notfound: x86 ? 'disabled' : 'enabled' };
  return { found: 'all', maybe: 'none', notfound: 'disabled' };
}

export function isX86(arch: string): boolean {
  return /^(i.86|x86_64)$/.test(arch);
}

// DI_DSLIST_DEFAULT, trimmed to nothing: only the order of the datasources vmmeta can trigger matters, and it is
// the same in all three (MAAS ConfigDrive NoCloud … Ec2 … OpenStack …).
export const DS_IDENTIFY_ORDER = ['ConfigDrive', 'NoCloud', 'Ec2', 'OpenStack'] as const;

// The names that make a guest take its SMBIOS for OpenStack, in ds-identify (dscheck_OpenStack) and in
// DataSourceOpenStack.py alike: product_name exactly one of the two product names, or the chassis asset tag one
// of the asset tags (VALID_DMI_ASSET_TAGS: the product names, extended per generation). The spec's defaults,
// vmmeta's SMBIOS and inspect's warnings all take them from here.
export const OPENSTACK_PRODUCT_NAMES = ['OpenStack Nova', 'OpenStack Compute'] as const;
export function openstackAssetTags(gen: CloudInitGeneration): string[] {
  const tags: string[] = [...OPENSTACK_PRODUCT_NAMES, 'OpenTelekomCloud', 'SAP CCloud VM'];
  if (gen !== '20.4') tags.push('HUAWEICLOUD');
  if (atLeast(gen, '25.1')) tags.push('Samsung Cloud Platform');
  return tags;
}

// The shell reads each DMI file with `read`, which drops leading and trailing blanks.
const trimmed = (s: string | undefined): string => (s ?? '').replace(/^[ \t]+|[ \t]+$/g, '');

export function openstackDmiMatch(
  gen: CloudInitGeneration,
  dmi: Pick<DmiInput, 'productName' | 'assetTag'>,
): 'product' | 'asset' | null {
  if ((OPENSTACK_PRODUCT_NAMES as readonly string[]).includes(trimmed(dmi.productName))) return 'product';
  if (openstackAssetTags(gen).includes(trimmed(dmi.assetTag))) return 'asset';
  return null;
}

// ec2_identify_platform: Brightbox, ZStack, e24cloud, Tilaa (26.2+, sys_vendor), Outscale (22.4+), then AWS from
// the system UUID. 20.4/22.4 want uuid == serial, both starting "ec2"; 25.1+ takes any UUID whose first group
// starts "ec2" or, byte-swapped, ends "2?ec" (EC2 guests on Nitro report the UUID little-endian).
export function ec2Platform(gen: CloudInitGeneration, dmi: DmiInput): string | null {
  const serial = trimmed(dmi.serial);
  const uuid = trimmed(dmi.uuid);
  if (serial.endsWith('.brightbox.com')) return 'Brightbox';
  if (trimmed(dmi.assetTag).endsWith('.zstack.io')) return 'ZStack';
  if (trimmed(dmi.sysVendor) === 'e24cloud') return 'E24cloud';
  if (atLeast(gen, '26.2') && trimmed(dmi.sysVendor) === 'Tilaa') return 'Tilaa';
  if (gen !== '20.4' && trimmed(dmi.productName) === '3DS Outscale VM' && trimmed(dmi.sysVendor) === '3DS Outscale')
    return 'Outscale';
  if (atLeast(gen, '25.1')) {
    const first = uuid.split('-')[0] ?? '';
    if (/^ec2/i.test(first) || /2[0-9a-f]ec$/i.test(first)) return 'AWS';
  } else if (/^ec2/i.test(uuid) && /^ec2/i.test(serial) && uuid.toLowerCase() === serial.toLowerCase()) {
    return 'AWS';
  }
  return null;
}

export interface DsIdentifyInput {
  arch: string;
  cloudInit: CloudInitGeneration;
  dmi: DmiInput;
  disks: { cidata: boolean; config2: boolean };
  datasourceListInImage?: string[];
}

type Check = 'found' | 'maybe' | 'not-found';

function check(ds: string, input: DsIdentifyInput): Check {
  const { cloudInit: gen, dmi, disks, arch } = input;
  switch (ds) {
    case 'ConfigDrive':
      return disks.config2 ? 'found' : 'not-found';
    case 'NoCloud':
      // `case " ${DI_DMI_PRODUCT_SERIAL} " in *\ ds=nocloud*)`: a prefix match, so ds=nocloud-net counts.
      if (/^ds=nocloud/.test(trimmed(dmi.serial))) return 'found';
      return disks.cidata ? 'found' : 'not-found';
    case 'OpenStack':
      if (disks.config2) return 'not-found'; // check_configdrive_v2 first: a config drive hides the service
      if (openstackDmiMatch(gen, dmi)) return 'found';
      return isX86(arch) ? 'not-found' : 'maybe'; // LP: #1715241, non-Intel arches
    case 'Ec2':
      // Unknown platform: strict_id defaults to true in ds-identify, so not found (never "maybe").
      return ec2Platform(gen, dmi) ? 'found' : 'not-found';
    default:
      return 'not-found';
  }
}

export function runDsIdentifyModel(input: DsIdentifyInput): DsIdentifyResult {
  const policy = defaultPolicy(input.cloudInit, input.arch);
  const image = input.datasourceListInImage;
  const dslist = image && image.length ? image : [...DS_IDENTIFY_ORDER];
  // "single entry in datasource_list … use that": no checks at all. 25.1+ writes a lone entry as is (so the
  // Python side skips its own detection: override_ds_detect); older ones append None.
  if (dslist.length === 1 || (dslist.length === 2 && dslist[1] === 'None')) {
    const list = atLeast(input.cloudInit, '25.1') && dslist.length === 1 ? [...dslist] : [dslist[0] as string, 'None'];
    return { list, rc: 0, found: [dslist[0] as string], maybe: [], policy };
  }
  const found: string[] = [];
  const maybe: string[] = [];
  for (const ds of dslist) {
    const r = check(ds, input);
    if (r === 'found') found.push(ds);
    else if (r === 'maybe') maybe.push(ds);
  }
  const withNone = (l: string[]): string[] => (l.includes('None') ? l : [...l, 'None']);
  if (found.length)
    return { list: withNone(policy.found === 'first' ? found.slice(0, 1) : found), rc: 0, found, maybe, policy };
  if (maybe.length && policy.maybe === 'all') return { list: withNone(maybe), rc: 0, found, maybe, policy };
  return { list: null, rc: policy.notfound === 'disabled' ? 1 : 0, found, maybe, policy };
}
