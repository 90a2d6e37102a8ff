// The OpenStack tree: every version Nova lists, each holding what that version had, plus `latest`.
// The disk form (openstack/<ver>/<file>) is what a config drive carries; the HTTP form adds the listings the
// metadata service answers (/openstack/, /openstack/<ver>/) and the password endpoint.
import type { ResolvedVm } from '../spec/schema.js';
import { openStackMetaData } from './openstack-meta.js';
import { openStackNetworkData } from './openstack-network.js';
import { listing, sortedTree, stableJson, utf8, type FileTree } from './tree.js';
import { OPENSTACK_DATES, OPENSTACK_LATEST, openStackHas, type OpenStackVersion } from './versions.js';

export interface OpenStackOptions {
  configDrive?: boolean; // admin_pass in meta_data.json (Nova's extra_md, config drive only)
}

// vendor_data.json is Nova's StaticJSON provider: the operator's JSON, `{}` when there is none.
export function vendorDataJson(vm: ResolvedVm): Record<string, unknown> {
  return vm.vendorData ?? {};
}

// vendor_data2.json is keyed by provider: `static` holds the same static JSON. No top-level "cloud-init" key is
// added: cloud-init takes the "cloud-init" value of *each* file (sources/__init__.py convert_vendordata) and would
// run the vendor cloud-config twice; Nova's own layout only has it under `static`, where cloud-init ignores it.
export function vendorData2Json(vm: ResolvedVm): Record<string, unknown> {
  return { static: vendorDataJson(vm) };
}

// One version's files in Nova's listing order (InstanceMetadata._handle_version). `password` is an HTTP-only
// endpoint (GET: empty until a guest POSTs one) that a config drive never has.
function versionFiles(
  vm: ResolvedVm,
  version: OpenStackVersion,
  opts: OpenStackOptions & { http: boolean },
): [string, Uint8Array][] {
  const files: [string, Uint8Array][] = [['meta_data.json', utf8(stableJson(openStackMetaData(vm, version, opts)))]];
  if (vm.userData !== undefined) files.push(['user_data', vm.userData]);
  if (opts.http && openStackHas(version, 'password')) files.push(['password', new Uint8Array(0)]);
  if (openStackHas(version, 'vendorData')) files.push(['vendor_data.json', utf8(stableJson(vendorDataJson(vm)))]);
  if (openStackHas(version, 'networkData')) {
    const network = openStackNetworkData(vm);
    if (network !== null) files.push(['network_data.json', utf8(stableJson(network))]);
  }
  if (openStackHas(version, 'vendorData2')) files.push(['vendor_data2.json', utf8(stableJson(vendorData2Json(vm)))]);
  return files;
}

function eachVersion(): [string, OpenStackVersion][] {
  return [...OPENSTACK_DATES.map((d): [string, OpenStackVersion] => [d, d]), ['latest', OPENSTACK_LATEST]];
}

export function renderOpenStackDisk(vm: ResolvedVm, opts: OpenStackOptions = {}): FileTree {
  const entries: [string, Uint8Array][] = [];
  for (const [dir, version] of eachVersion()) {
    for (const [name, bytes] of versionFiles(vm, version, { ...opts, http: false }))
      entries.push([`openstack/${dir}/${name}`, bytes]);
  }
  return sortedTree(entries);
}

export function renderOpenStackHttp(vm: ResolvedVm): FileTree {
  const entries: [string, Uint8Array][] = [['/openstack/', listing(eachVersion().map(([dir]) => dir))]];
  for (const [dir, version] of eachVersion()) {
    const files = versionFiles(vm, version, { http: true });
    entries.push([`/openstack/${dir}/`, listing(files.map(([name]) => name))]);
    for (const [name, bytes] of files) entries.push([`/openstack/${dir}/${name}`, bytes]);
  }
  return sortedTree(entries);
}
