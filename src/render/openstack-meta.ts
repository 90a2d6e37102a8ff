// meta_data.json, per version, as Nova's InstanceMetadata._metadata_as_json builds it (openstack-metadata.md §6).
// cloud-init needs only `uuid` (its instance-id); it also reads hostname, public_keys, availability_zone,
// random_seed and meta.dsmode (sources/helpers/openstack.py, DataSourceOpenStack.py).
import type { Device, ResolvedVm } from '../spec/schema.js';
import { openStackHas, type OpenStackVersion } from './versions.js';
import { keyLine } from './nocloud.js';

export interface MetaDataOptions {
  // Nova puts admin_pass (its extra_md) only into the config drive's copy, never into the HTTP service's.
  configDrive?: boolean;
}

export function openStackMetaData(
  vm: ResolvedVm,
  version: OpenStackVersion,
  opts: MetaDataOptions = {},
): Record<string, unknown> {
  const md: Record<string, unknown> = {
    uuid: vm.uuid,
    name: vm.name,
    // As written in the spec, without Nova's ".novalocal" dhcp_domain suffix: cloud-init sets the guest's
    // hostname from the part before the first dot and its FQDN from the whole value (get_hostname), so a suffix
    // would only invent a domain the operator never asked for. Nova itself drops it when dhcp_domain is empty.
    hostname: vm.hostname,
    launch_index: vm.launchIndex,
    availability_zone: vm.availabilityZone,
  };
  if (vm.sshKeys.length > 0) {
    // cloud-init installs the values of public_keys (every key, not only the first as Nova would with its one
    // keypair); `keys` is the newer list form other agents read.
    // Each value ends in "\n" as Nova's generated keys do: CirrOS writes every value to a file and concatenates.
    md.public_keys = Object.fromEntries(vm.sshKeys.map((k) => [k.name, keyLine(k.key)]));
    md.keys = vm.sshKeys.map((k) => ({ name: k.name, type: 'ssh', data: keyLine(k.key) }));
  }
  if (Object.keys(vm.meta).length > 0) md.meta = vm.meta;
  if (openStackHas(version, 'randomSeed')) md.random_seed = vm.randomSeed;
  // Nova always has a project; vmmeta only says one when the operator gave it rather than invent an id.
  if (openStackHas(version, 'projectId') && vm.projectId !== undefined) md.project_id = vm.projectId;
  if (openStackHas(version, 'devices')) md.devices = vm.devices.map((d) => deviceMetadata(d, version));
  // Host CPU pinning does not exist for a vmmeta guest; Nova sends [] for unpinned instances.
  if (openStackHas(version, 'dedicatedCpus')) md.dedicated_cpus = [];
  if (opts.configDrive && vm.adminPassword !== undefined) md.admin_pass = vm.adminPassword;
  return md;
}

// One entry of `devices` (Nova base.py _get_device_metadata): vlan on nics only from Ocata on.
function deviceMetadata(d: Device, version: OpenStackVersion): Record<string, unknown> {
  const out: Record<string, unknown> = { type: d.type, bus: d.bus, address: d.address, tags: d.tags };
  if (d.type === 'nic') {
    if (d.mac !== undefined) out.mac = d.mac;
    if (d.vlan !== undefined && openStackHas(version, 'nicVlan')) out.vlan = d.vlan;
  } else {
    if (d.serial !== undefined) out.serial = d.serial;
    if (d.path !== undefined) out.path = d.path;
  }
  return out;
}
