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

export interface VmView {
  state: StoredState;
  vm: ResolvedVm;
  smbios: Smbios;
  sidecar: SidecarStatus;
  probes: ProbeResult[];
  answering: boolean;
  verdict: Verdict; // with the sidecar as it is now
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
  return { state, vm, smbios, sidecar, probes, answering, verdict };
}
