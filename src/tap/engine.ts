// Tap mode inside create, update, start and delete: the port is settled before planning (so the plan stays
// pure), nft checks the rules before any state is written, and the rules are installed, swapped or removed in
// one transaction each. These are also the calls libvirt (#14) and hotplug (#16) code should use:
//   tapRules(vm, outputs)   the TapRules a stored VM needs (null: connector path)
//   installVmRules(rules)   install or atomically swap that VM's tables
//   ensureVmRules(rules)    install only when missing or different ('kept' | 'installed')
//   removeVmRules(vm)       drop that VM's tables (a no-op when absent)
import type { ResolvedVm } from '../spec/schema.js';
import type { VmOutputs } from '../state/store.js';
import { checkClaims, choosePort, otherTapClaims } from './claims.js';
import { checkVmRules, installVmRules, loadedVmRules, rulesMatch, runNft } from './nft.js';
import { removeText, type TapRules } from './ruleset.js';

export { installVmRules, removeVmRules, loadedVmRules, rulesMatch } from './nft.js';
export type { TapRules } from './ruleset.js';

export function tapRules(vm: string, outputs: Pick<VmOutputs, 'tap'>): TapRules | null {
  const t = outputs.tap;
  return t ? { vm, device: t.device, bridge: t.bridge, port: t.port } : null;
}

// The VM with its tap port filled in: the spec's, else the one recorded for it, else a free one. Refuses a tap
// or port another VM holds. Connector-path VMs come back unchanged.
export async function settleTap(root: string, vm: ResolvedVm, recordedPort: number | undefined): Promise<ResolvedVm> {
  const tap = vm.sidecar.path === 'tap' ? vm.sidecar.tap : undefined;
  if (!tap) return vm;
  const others = await otherTapClaims(root, vm.name);
  const keep = tap.port ?? recordedPort;
  checkClaims(vm.name, { device: tap.device, port: keep }, others);
  const port = keep ?? (await choosePort(others));
  return { ...vm, sidecar: { ...vm.sidecar, tap: { ...tap, port } } };
}

// Before anything is written: nft must exist and the kernel must take the new rules (and, when a VM leaves tap
// mode, their removal).
export async function preflightRules(next: TapRules | null, before: TapRules | null): Promise<void> {
  if (next) await checkVmRules(next);
  else if (before) await runNft(['-c', '-f', '-'], removeText(before.vm));
}

export async function ensureVmRules(r: TapRules): Promise<'kept' | 'installed'> {
  if (rulesMatch(r, await loadedVmRules(r.vm))) return 'kept';
  await installVmRules(r);
  return 'installed';
}
