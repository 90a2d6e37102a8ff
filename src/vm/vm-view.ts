// What list and inspect both need about a stored VM: its state, SMBIOS, live sidecar status and verdict.
// Reads only.
import type { ResolvedVm } from '../spec/schema.js';
import type { Smbios } from '../hypervisor/smbios.js';
import { predictDatasource, type Verdict } from '../guest/verdict.js';
import type { VmPaths } from '../state/paths.js';
import type { StoredState } from '../state/store.js';
import { fromState, readStoredVm } from './stored-vm.js';
import { probeSidecar, sidecarStatus, type SidecarStatus } from './sidecar-control.js';
import type { ProbeResult } from './probe.js';
import { verdictInput } from './verdict-input.js';
import { hostRequest } from './host-client.js';
import { UserError } from '../errors.js';
import type { HostVmStatus } from '../sidecar/host.js';

// Host mode (sidecar.mode: host): what the state root's `vmmeta host` says of this VM. running false: no host
// answers on host.sock (error says why). A failed load (corrupt documents) is `vm.state: failed` with its error.
export interface HostView {
  running: boolean;
  pid?: number;
  vm?: HostVmStatus;
  error?: string;
  hint?: string;
}

export interface VmView {
  state: StoredState;
  vm: ResolvedVm;
  smbios: Smbios;
  sidecar: SidecarStatus;
  probes: ProbeResult[];
  answering: boolean;
  verdict: Verdict; // with the sidecar as it is now
  host?: HostView; // only for a VM in host mode
}

// The datasource the guest would pick with the VM's stored outputs (the sidecar answering or not).
export function storedPrediction(state: StoredState, sidecar: boolean): Verdict {
  const { vm, smbios } = fromState(state);
  return predictDatasource(verdictInput(vm, smbios, state.outputs, { sidecar }));
}

export async function viewVm(p: VmPaths, probeTimeoutMs = 1000): Promise<VmView> {
  const { state, vm, smbios } = await readStoredVm(p);
  const sidecar = await sidecarStatus(p);
  const probes = sidecar.state === 'running' && sidecar.info ? await probeSidecar(sidecar.info, probeTimeoutMs) : [];
  const answering = probes.length > 0 && probes.every((r) => r.ok);
  const verdict = predictDatasource(verdictInput(vm, smbios, state.outputs, { sidecar: answering }));
  const host = vm.sidecar.mode === 'host' ? await hostView(p) : undefined;
  return { state, vm, smbios, sidecar, probes, answering, verdict, ...(host ? { host } : {}) };
}

async function hostView(p: VmPaths): Promise<HostView> {
  try {
    const r = await hostRequest(p.root, { op: 'status', vm: p.name }, 2000);
    return { running: true, pid: r.pid, ...(r.vm ? { vm: r.vm } : {}) };
  } catch (err) {
    const hint = err instanceof UserError ? err.hint : undefined;
    return { running: false, error: (err as Error).message, ...(hint ? { hint } : {}) };
  }
}
