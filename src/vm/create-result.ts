// What create and update take and return, shared by create.ts (a new VM) and update.ts (an existing one).
import type { VmPaths } from '../state/paths.js';
import type { SidecarInfo } from '../sidecar/files.js';
import type { Plan } from './plan.js';
import { overrideFlags, type OverrideFlags, type Settings } from './overrides.js';
import { vmSummary, type VmSummary } from './summary.js';
import type { Change } from './changes.js';

export interface CreateOptions extends OverrideFlags {
  root: string;
  spec: string;
  force?: boolean;
  start?: boolean; // default true; --no-start
  vm?: string; // update: the VM the spec must name, and it must exist
  userDataOutside?: boolean; // --allow-user-data-outside (per invocation, never stored)
  progress?: (line: string) => void;
  now?: () => Date;
}

export interface CreateResult extends VmSummary {
  action: 'created' | 'updated' | 'unchanged';
  sidecarAction: 'started' | 'reloaded' | 'restarted' | 'kept' | 'not started';
  changes: Change[]; // what the guest's next boot sees differently (update only)
  settings: Settings; // the override-able settings and where each came from
  recordedFlags: string[]; // the settings flags kept with the VM, as a command line gives them
  repaired: string[]; // derived files that were missing or damaged and were rebuilt
  kept: Array<{ file: string; copy: string; message: string }>; // files the operator edited, left as they are
  rules?: 'installed' | 'kept' | 'removed'; // tap mode: what happened to the VM's nftables rules
}

export function result(
  p: VmPaths,
  plan: Plan,
  sidecar: SidecarInfo | null,
): Omit<CreateResult, 'action' | 'sidecarAction'> {
  return {
    ...vmSummary(p, plan, sidecar),
    changes: [],
    settings: plan.settings,
    recordedFlags: overrideFlags(plan.overrides),
    repaired: [],
    kept: [],
  };
}

export function progress(o: CreateOptions): { progress?: (line: string) => void } {
  return o.progress ? { progress: o.progress } : {};
}
