// Everything `create` will write, computed in memory before a single file is touched (changesets computes its
// release plan first, too): the resolved VM with the command-line overrides, SMBIOS, QEMU argv, libvirt XML,
// the HTTP tree the sidecar serves, the disk trees for meta/ and the ISOs, and the predicted datasource.
import { createHash } from 'node:crypto';
import type { LoadedSpec } from '../spec/load.js';
import type { ResolvedVm } from '../spec/schema.js';
import { stableJson, type FileTree } from '../render/tree.js';
import { leavesOnly, renderHttpTree } from '../render/http.js';
import { renderNoCloud } from '../render/nocloud.js';
import { renderConfigDrive } from '../render/configdrive.js';
import { renderOpenStackDisk } from '../render/openstack.js';
import { resolveSmbios, smbiosText, type Smbios } from '../hypervisor/smbios.js';
import {
  qemuArgs,
  argsFileText,
  argsJson,
  argsShell,
  uuidMac,
  DEFAULT_CDROM_BUS,
  DEFAULT_ROOT_PORTS,
  METADATA_ADDRESS,
  type CdromBus,
} from '../hypervisor/qemu-args.js';
import { hotplugSummary } from '../spec/hotplug.js';
import { guestfwdConnector } from '../hypervisor/connector.js';
import { tapListen } from '../tap/addresses.js';
import { domainXml, sysinfoXml, type TapNic } from '../hypervisor/libvirt.js';
import { predictDatasource, type Verdict } from '../guest/verdict.js';
import { encodeServed } from '../sidecar/served.js';
import { encodeResolved, type VmOutputs } from '../state/store.js';
import { FILES, isSensitiveDocument, type VmPaths } from '../state/paths.js';
import { verdictInput } from './verdict-input.js';
import { applyOverrides, settingSources, type Overrides, type Settings } from './overrides.js';

// Bump when the same spec must produce different files (forces an update of existing VMs on re-create).
const PLAN_VERSION = 2; // 2: every VM's QEMU args carry a QMP socket (nic add/remove)
// Where a nocloud-net seed points: the address the guest dials for metadata (guestfwd or DNAT).
export const NOCLOUD_SEED_URL = `http://${METADATA_ADDRESS}/nocloud/`;

export interface PlannedFile {
  data: string | Uint8Array;
  mode: number;
}

export interface Plan {
  vm: ResolvedVm;
  specText: string;
  specHash: string;
  outputs: VmOutputs;
  smbios: Smbios;
  qemuArgs: string[];
  files: Map<string, PlannedFile>; // path relative to the VM folder
  httpTree: FileTree; // what the sidecar serves
  isos: { cidata?: FileTree; configDrive?: FileTree };
  verdict: Verdict;
  overrides: Overrides; // recorded in state.json
  settings: Settings; // each override-able setting and where it came from
}

// Over the resolved VM (user-data file bytes included, overrides applied), the spec text (spec.yaml is kept)
// and the recorded overrides (a flag equal to the spec's value is still recorded). No overrides: the hash
// states written before overrides were recorded carry.
export function specHash(vm: ResolvedVm, text: string, overrides: Overrides = {}): string {
  const recorded = Object.keys(overrides).length ? { overrides } : {};
  return createHash('sha256')
    .update(stableJson({ plan: PLAN_VERSION, text, vm: encodeResolved(vm), ...recorded }))
    .digest('hex');
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

// The metadata NIC carries the guest's first physical MAC, so network_data.json's link for it matches the
// device the guest sees; a VM without links gets a stable locally administered MAC derived from its uuid.
// The user-network NIC whose guestfwd reaches the sidecar's socket; none without a unix listener.
export function metadataNic(vm: ResolvedVm, p: VmPaths): { id: string; mac: string; connector: string } | null {
  if (vm.sidecar.path === 'tap' || !vm.sidecar.listen.includes('unix')) return null;
  return { id: 'vmmeta0', mac: firstMac(vm), connector: guestfwdConnector(p.sidecarSock) };
}

function firstMac(vm: ResolvedVm): string {
  return vm.network.links.find((l) => l.type === 'physical')?.mac ?? uuidMac(vm.uuid);
}

// Tap mode: the port must have been chosen (tap/port.ts) before planning, so the plan stays pure.
export function tapOutputs(vm: ResolvedVm): NonNullable<VmOutputs['tap']> | null {
  const tap = vm.sidecar.path === 'tap' ? vm.sidecar.tap : undefined;
  if (!tap) return null;
  if (tap.port === undefined) throw new Error(`tap mode for ${vm.name} planned without a port`);
  return { device: tap.device, bridge: tap.bridge ?? null, port: tap.port };
}

// Tap mode (sidecar.path: tap): the metadata NIC is the VM's tap, carrying the first link's MAC.
export function tapNic(vm: ResolvedVm): TapNic | null {
  const s = vm.sidecar;
  if (s.path !== 'tap' || !s.tap) return null;
  return { device: s.tap.device, bridge: s.tap.bridge, mac: firstMac(vm) };
}

export function buildPlan(loaded: Pick<LoadedSpec, 'text' | 'vm' | 'raw'>, overrides: Overrides, p: VmPaths): Plan {
  const vm = applyOverrides(loaded.vm, overrides);
  const nocloud = vm.datasource.nocloud;
  const seedUrl = nocloud === 'net' ? NOCLOUD_SEED_URL : null;
  const smbios = resolveSmbios(vm, seedUrl ? { seedUrl } : {});
  const cdrom: { path: string; bus: CdromBus } | null =
    nocloud === 'cd' ? { path: p.cidataIso, bus: DEFAULT_CDROM_BUS } : null;
  const nic = metadataNic(vm, p);
  const rootPorts = hotplugSummary(vm, DEFAULT_ROOT_PORTS).rootPorts;
  const tap = tapOutputs(vm);
  const tapNicSpec = tapNic(vm);
  const tapArgs = tapNicSpec ? { id: 'vmmeta0', mac: tapNicSpec.mac, device: tapNicSpec.device } : null;
  const argv = qemuArgs({
    uuid: vm.uuid,
    smbios,
    ...(cdrom ? { cdrom } : {}),
    ...(nic ? { metadataNic: nic } : {}),
    ...(tapArgs ? { tapNic: tapArgs } : {}),
    rootPorts,
    qmpSocket: p.qmpSock,
  });
  const guestfwd = argv.find((a: string) => a.includes('guestfwd=')) ?? null;
  const outputs: VmOutputs = {
    nocloud,
    cdrom,
    configDrive: vm.datasource.configDrive ? p.configDriveIso : null,
    // Tap mode: the operator's listeners (the 0600 socket by default) plus the metadata addresses on its port.
    listen: [...vm.sidecar.listen, ...(tap ? tapListen(tap) : [])],
    guestfwd,
    seedUrl,
    ...(tap ? { tap } : {}),
  };

  const files = new Map<string, PlannedFile>();
  const put = (path: string, data: string | Uint8Array, mode = 0o644) => files.set(path, { data, mode });
  put(FILES.spec, loaded.text, 0o600); // may hold inline user-data, vendor-data or an admin password
  const httpTree = renderHttpTree(vm);
  put(
    FILES.served,
    encodeServed(httpTree, {
      vm: vm.name,
      uuid: vm.uuid,
      imds: { tokens: vm.imds.tokens },
      listen: outputs.listen,
      ...(vm.sidecar.allowAllInterfaces ? { allowAllInterfaces: true } : {}),
      ...(vm.sidecar.mode === 'host' ? { host: true } : {}),
    }),
    0o600,
  );
  const noCloud = renderNoCloud(vm);
  // meta/ is for people: every OpenStack version (small, and they differ), NoCloud, and EC2's `latest/` only (the
  // dated EC2 trees repeat it ~15 times over hundreds of tiny files), taken from the served tree rather than
  // rendered again. The config drive is the openstack/ and ec2/ trees again; it exists as config-2.iso when asked for.
  const metaTrees: Array<[string, FileTree]> = [
    ['openstack', renderOpenStackDisk(vm)],
    ['ec2', leavesOnly(new Map([...httpTree].filter(([path]) => path.startsWith('/latest/'))))],
    ['nocloud', noCloud],
  ];
  for (const [name, tree] of metaTrees) {
    for (const [rel, bytes] of tree)
      put(`${FILES.meta}/${name}/${rel}`, bytes, isSensitiveDocument(rel) ? 0o600 : 0o644);
  }
  put(FILES.smbios, smbiosText(smbios));
  put(FILES.qemuArgsTxt, argsFileText(argv));
  put(FILES.qemuArgsSh, argsShell(argv));
  put(FILES.qemuArgsJson, argsJson(argv));
  put(FILES.domainXml, domainXml(vm, { smbios, cdrom, metadataNic: nic, tap: tapNicSpec }));
  put(FILES.sysinfoXml, sysinfoXml(smbios));

  const isos: Plan['isos'] = {};
  if (cdrom) isos.cidata = noCloud;
  if (vm.datasource.configDrive) isos.configDrive = renderConfigDrive(vm);
  const verdict = predictDatasource(verdictInput(vm, smbios, outputs, { sidecar: true }));
  const settings = settingSources(loaded.vm, loaded.raw, overrides);
  return {
    vm,
    specText: loaded.text,
    specHash: specHash(vm, loaded.text, overrides),
    outputs,
    httpTree,
    smbios,
    qemuArgs: argv,
    files,
    isos,
    verdict,
    overrides,
    settings,
  };
}
