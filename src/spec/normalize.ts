// Spec -> ResolvedVm: fills every default and generated value so renderers never invent anything. The uuid and
// random seed come in from the caller (stored ones on update, fresh ones on create); user-data becomes the exact
// bytes the guest will read.
import { decodeBase64 } from './base64.js';
import { ec2InstanceIdFor, type GeneratedIds } from './ids.js';
import type { NetworkConfig, ResolvedVm, Spec } from './schema.js';
import { withHotplugVendorData } from './hotplug.js';

export interface NormalizeContext {
  userData?: Uint8Array; // the bytes load.ts read from userDataFile
  ids: GeneratedIds;
}

export const EMPTY_NETWORK: NetworkConfig = { links: [], networks: [], dns: { servers: [], search: [] } };

export function userDataBytes(spec: Spec, fileBytes: Uint8Array | undefined): Uint8Array | undefined {
  if (fileBytes !== undefined) return fileBytes;
  if (spec.userData !== undefined) return new TextEncoder().encode(spec.userData);
  if (spec.userDataBase64 !== undefined) {
    const bytes = decodeBase64(spec.userDataBase64);
    // rules.ts refuses bad base64, so reaching this means normalizeSpec was given an unchecked spec.
    if (!bytes) throw new Error('normalizeSpec: userDataBase64 is not base64 (spec was not checked)');
    return bytes;
  }
  return undefined;
}

// Links but no networks: DHCPv4 on the first physical link, the NIC cloud-init's own fallback would pick. Left
// as it was, a link with no network becomes `iface eth0 inet manual` on 22.4 (both from network_data.json and
// from network-config): the guest would get no address at all, where the docs promise DHCP. Written out as
// ipv4_dhcp it reads as DHCP on every generation (test/client/render-network-fallback.test.ts), and it carries
// network.dns, which cloud-init applies per interface.
export function withDhcpFallback(network: NetworkConfig): NetworkConfig {
  const first = network.links.find((l) => l.type === 'physical');
  if (network.networks.length > 0 || !first) return network;
  return { ...network, networks: [{ link: first.id, type: 'ipv4_dhcp', dns: [] }] };
}

export function normalizeSpec(spec: Spec, ctx: NormalizeContext): ResolvedVm {
  // The three user-data fields are dropped: a ResolvedVm carries only the bytes.
  const { uuid, hostname, instanceId, randomSeed, userData, userDataFile, userDataBase64, network, ...rest } = spec;
  void userData;
  void userDataFile;
  void userDataBase64;
  const resolvedUuid = uuid ?? ctx.ids.uuid.toLowerCase();
  const bytes = userDataBytes(spec, ctx.userData);
  const vm: ResolvedVm = {
    ...rest,
    uuid: resolvedUuid,
    hostname: hostname ?? spec.name,
    // One id for every datasource, so moving from the NoCloud CD to the metadata service is not a new instance.
    instanceId: instanceId ?? resolvedUuid,
    // An explicit instanceId is every datasource's id; otherwise EC2 gets the recorded or uuid-derived "i-" form.
    ec2InstanceId: instanceId ?? ctx.ids.ec2InstanceId ?? ec2InstanceIdFor(resolvedUuid),
    // Line breaks from a YAML block scalar are not part of the seed.
    randomSeed: randomSeed?.replace(/\s+/g, '') ?? ctx.ids.randomSeed,
    network: withDhcpFallback(network ?? structuredClone(EMPTY_NETWORK)),
  };
  if (bytes !== undefined) vm.userData = bytes;
  const vendorData = withHotplugVendorData(spec.vendorData, spec);
  if (vendorData !== undefined) vm.vendorData = vendorData;
  return vm;
}
