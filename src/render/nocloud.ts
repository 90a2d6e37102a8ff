// The NoCloud seed (DataSourceNoCloud.py): meta-data and user-data (both required, either may be empty),
// vendor-data and network-config (optional). The same files go on the `cidata` CD and, under /nocloud/, to a
// guest whose SMBIOS serial holds the seed URL <sidecar>/nocloud/ (hypervisor/smbios.ts nocloudSerial).
import { stringify } from 'yaml';
import type { ResolvedVm } from '../spec/schema.js';
import { noCloudNetworkConfig } from './nocloud-network.js';
import { listing, sortedTree, utf8, type FileTree } from './tree.js';

// cloud-init parses these with PyYAML, which speaks YAML 1.1: "no", "on" and digits-and-colons strings such as a
// MAC "52:54:00:12:34:56" (a base-60 integer there) must be quoted, which the 1.1 schema does. lineWidth 0 keeps
// long ssh keys on one line; no anchors/aliases for shared lists (plain output is easier to read and diff).
function yaml(value: unknown): string {
  return stringify(value, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
}

// meta-data is JSON: CirrOS's ds/nocloud reads it with json2fstree (an awk JSON parser, "failed to parse json"
// on YAML), and JSON is YAML to cloud-init's yaml.safe_load. PyYAML refuses some characters JSON.stringify
// leaves literal (DEL, C1 controls, U+FFFE/U+FFFF): those become \u escapes, which both read.
export function metaDataJson(value: unknown): string {
  const unprintable = /[\u007f-\u0084\u0086-\u009f\ufffe\uffff]/g;
  return `${JSON.stringify(value, null, 2).replace(unprintable, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

// Each key ends in a newline, as Nova's generated keys do: readers that write every key to its own file and
// then concatenate them (CirrOS) would otherwise join two keys on one authorized_keys line.
export function keyLine(key: string): string {
  return `${key.replace(/\s+$/, '')}\n`;
}

export function noCloudMetaData(vm: ResolvedVm): Record<string, unknown> {
  return {
    // The same id as OpenStack's uuid and EC2's instance-id: moving the VM between datasources is then not a new
    // instance for cloud-init (no second run of per-instance modules).
    'instance-id': vm.instanceId,
    'local-hostname': vm.hostname,
    // Read by DataSource.availability_zone, as OpenStack's availability_zone and EC2's placement are.
    'availability-zone': vm.availabilityZone,
    // A list of key strings (normalize_pubkey_data accepts str, list or dict).
    ...(vm.sshKeys.length > 0 ? { 'public-keys': vm.sshKeys.map((k) => keyLine(k.key)) } : {}),
  };
}

// NoCloud's vendor-data is raw (like user-data), not Nova's JSON: only the string a "cloud-init" key carries —
// the part cloud-init would take from vendor_data.json — means anything there.
export function noCloudVendorData(vm: ResolvedVm): Uint8Array | null {
  const payload = vm.vendorData?.['cloud-init'];
  return typeof payload === 'string' ? utf8(payload) : null;
}

function seedFiles(vm: ResolvedVm): {
  meta: Uint8Array;
  user: Uint8Array;
  vendor: Uint8Array | null;
  network: Uint8Array | null;
} {
  const net = noCloudNetworkConfig(vm);
  return {
    meta: utf8(metaDataJson(noCloudMetaData(vm))),
    user: vm.userData ?? new Uint8Array(0),
    vendor: noCloudVendorData(vm),
    network: net === null ? null : utf8(yaml(net)),
  };
}

export function renderNoCloud(vm: ResolvedVm): FileTree {
  const f = seedFiles(vm);
  const entries: [string, Uint8Array][] = [
    ['meta-data', f.meta],
    ['user-data', f.user],
  ];
  if (f.vendor !== null) entries.push(['vendor-data', f.vendor]);
  if (f.network !== null) entries.push(['network-config', f.network]);
  return sortedTree(entries);
}

// Over HTTP every file is always served, empty when there is nothing to say: util.read_seeded retries a missing
// vendor-data (and, from 23.x, network-config) 10 times with 1 s sleeps, and an empty body means "none" to it.
export function renderNoCloudHttp(vm: ResolvedVm): FileTree {
  const f = seedFiles(vm);
  const empty = new Uint8Array(0);
  const files: [string, Uint8Array][] = [
    ['meta-data', f.meta],
    ['user-data', f.user],
    ['vendor-data', f.vendor ?? empty],
    ['network-config', f.network ?? empty],
  ];
  return sortedTree([
    ['/nocloud/', listing(files.map(([n]) => n))],
    ...files.map(([n, b]): [string, Uint8Array] => [`/nocloud/${n}`, b]),
  ]);
}
