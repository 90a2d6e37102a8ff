// The EC2-compatible tree as a metadata service serves it: `/` lists the versions, each `/<ver>/` lists
// `dynamic/`, `meta-data/` and `user-data`, folders list their children one per line with a trailing `/` on
// sub-folders (Firecracker's format_imds, AWS's examples), and public keys are listed as `i=name`, the only form
// cloud-init's MetadataMaterializer turns into keys (sources/helpers/ec2.py).
import type { ResolvedVm } from '../spec/schema.js';
import { ec2MetaData, instanceIdentity, type Ec2Dir } from './ec2-meta.js';
import { listing, sortedTree, stableJson, utf8, type FileTree } from './tree.js';
import { EC2_LATEST, EC2_VERSIONS, ec2Has, type Ec2Version } from './versions.js';

type Entries = [string, Uint8Array][];

// Sorted like Nova's ec2_md_print (sorted dict keys), sub-folders suffixed with `/`. The public-keys/ folder is
// listed as `i=name` lines, never `i/`: cloud-init keeps no key from a nested listing.
function addDir(entries: Entries, path: string, dir: Ec2Dir, keyNames: string[]): void {
  const names = Object.keys(dir).sort();
  const isKeys = path.endsWith('/meta-data/public-keys');
  const lines = names.map((name) => {
    if (isKeys) return `${name}=${keyNames[Number(name)]}`;
    return typeof dir[name] === 'string' ? name : `${name}/`;
  });
  entries.push([`${path}/`, listing(lines)]);
  for (const name of names) {
    const node = dir[name]!;
    if (typeof node === 'string') entries.push([`${path}/${name}`, utf8(node)]);
    else addDir(entries, `${path}/${name}`, node, keyNames);
  }
}

function addVersion(entries: Entries, vm: ResolvedVm, dirName: string, version: Ec2Version): void {
  const base = `/${dirName}`;
  const top: string[] = [];
  if (ec2Has(version, 'dynamic')) {
    top.push('dynamic/');
    entries.push([`${base}/dynamic/`, listing(['instance-identity/'])]);
    entries.push([`${base}/dynamic/instance-identity/`, listing(['document'])]);
    // No trailing newline: cloud-init parses a leaf as JSON only when it starts with `{` and ends with `}`.
    entries.push([`${base}/dynamic/instance-identity/document`, utf8(stableJson(instanceIdentity(vm)).trimEnd())]);
  }
  top.push('meta-data/');
  addDir(
    entries,
    `${base}/meta-data`,
    ec2MetaData(vm, version),
    vm.sshKeys.map((k) => k.name),
  );
  if (vm.userData !== undefined) {
    top.push('user-data');
    entries.push([`${base}/user-data`, vm.userData]);
  }
  entries.push([`${base}/`, listing(top)]);
}

export function renderEc2Http(vm: ResolvedVm): FileTree {
  const entries: Entries = [['/', listing([...EC2_VERSIONS, 'latest'])]];
  for (const version of EC2_VERSIONS) addVersion(entries, vm, version, version);
  addVersion(entries, vm, 'latest', EC2_LATEST);
  return sortedTree(entries);
}

// The config drive's ec2/<ver>/meta-data.json: the same tree as one JSON object. Public keys keep Nova's
// {"0": {"openssh-key": …}} shape (Nova deletes its internal `_name` before writing the file).
export function ec2MetadataJson(vm: ResolvedVm, version: Ec2Version | 'latest' = 'latest'): Ec2Dir {
  return ec2MetaData(vm, version === 'latest' ? EC2_LATEST : version);
}
