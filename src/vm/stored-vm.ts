// A created VM as read back from its folder: the checked state.json, the VM it resolved to and the SMBIOS that
// VM shows its guest. The one way list, inspect, explain, libvirt patch and update read a stored VM.
import type { ResolvedVm } from '../spec/schema.js';
import { resolveSmbios, type Smbios } from '../hypervisor/smbios.js';
import type { VmPaths } from '../state/paths.js';
import { decodeResolved, readState, requireVm, type StoredState } from '../state/store.js';

export interface StoredVmView {
  p: VmPaths;
  state: StoredState;
  vm: ResolvedVm;
  smbios: Smbios;
}

// The VM and SMBIOS a stored state stands for (the seed URL is the one recorded at create/update).
export function fromState(state: StoredState): { vm: ResolvedVm; smbios: Smbios } {
  const vm = decodeResolved(state.resolved);
  return { vm, smbios: resolveSmbios(vm, state.outputs.seedUrl ? { seedUrl: state.outputs.seedUrl } : {}) };
}

export async function readStoredVm(p: VmPaths): Promise<StoredVmView> {
  const state = await readState(p);
  return { p, state, ...fromState(state) };
}

// By name: exit 3 when there is no such VM, a clear error for an orphan folder or a damaged state.json.
export async function loadStoredVm(root: string, name: string): Promise<StoredVmView> {
  return readStoredVm(await requireVm(root, name));
}
