// vmmeta create <spec.yaml>: validate → plan (render, SMBIOS, QEMU args, libvirt XML) → stage → commit → sidecar
// answering. Re-running with the same spec is a no-op that makes sure the sidecar runs; a changed spec updates
// the VM in place (update.ts). Also the engine of `vmmeta update`.
import { access, constants, mkdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadSpecFile } from '../spec/load.js';
import { withVmLock } from '../state/lock.js';
import { vmPaths, type VmPaths } from '../state/paths.js';
import { checkVmState } from '../state/secure-dir.js';
import { notFound, orphanError, removeLeftovers, uuidOwner, vmFolderKind } from '../state/store.js';
import { EXIT, UserError } from '../errors.js';
import { buildPlan, type Plan } from './plan.js';
import { mergeOverrides, overrideFlags, type OverrideFlags } from './overrides.js';
import { commitNew, releaseNewVmLock, stage } from './apply.js';
import { ensureSidecar, stopSidecar, type SidecarInfo } from './sidecar-control.js';
import { vmSummary, type VmSummary } from './summary.js';
import type { Change } from './changes.js';
import type { Settings } from './overrides.js';
import { updateExisting } from './update.js';

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
}

export async function create(o: CreateOptions): Promise<CreateResult> {
  const first = await loadSpecFile(o.spec, { userDataOutside: o.userDataOutside });
  const name = first.vm.name;
  if (o.vm !== undefined && name !== o.vm) {
    throw new UserError(`${o.spec} describes VM ${name}, not ${o.vm}`, { exitCode: EXIT.invalid, hint: 'the spec\'s name field picks the VM' });
  }
  checkVmState(o.root, name); // ssh-style: a root or VM folder another user can write is refused
  await mkdir(o.root, { recursive: true, mode: 0o711 }); // traversable, not listable: see paths.ts
  // mkdir -p reports a read-only file system as ENOENT; ask the question that gets EROFS/EACCES back.
  await access(o.root, constants.W_OK);
  checkVmState(o.root, name); // again: the root exists now
  const p = vmPaths(o.root, name);
  await removeLeftovers(o.root, name);
  const kind = await vmFolderKind(o.root, name);
  if (kind === 'none') {
    if (o.vm !== undefined) throw notFound(o.root, name);
    await checkUuidFree(o.root, name, first.vm.uuid);
    return createNew(o, p, buildPlan(first, mergeOverrides({}, o, first.vm), p));
  }
  // An orphan (no state.json) is rebuilt only with --force: update.ts recovers its uuid from served.json.
  if (kind === 'orphan' && !o.force) throw orphanError(p);
  return withVmLock(p.dir, () => updateExisting(o, p), name);
}

export async function checkUuidFree(root: string, name: string, uuid: string): Promise<void> {
  const other = await uuidOwner(root, uuid, name);
  if (other === undefined) return;
  throw new UserError(`uuid ${uuid} already belongs to VM ${other}`, {
    exitCode: EXIT.conflict,
    details: ['libvirt refuses two domains with one uuid, and cloud-init would take both guests for one instance'],
    hint: `give ${name} another uuid (or none: one is generated), or delete ${other} first`,
  });
}

async function createNew(o: CreateOptions, p: VmPaths, plan: Plan): Promise<CreateResult> {
  const staged = await stage(plan, p, { now: (o.now ?? (() => new Date()))(), source: resolve(o.spec), ...progress(o) }, true);
  await commitNew(staged, p);
  try {
    let sidecar: SidecarInfo | null = null;
    if (o.start !== false) {
      try {
        sidecar = (await ensureSidecar(p, progress(o))).info;
      } catch (err) {
        // All or nothing: a VM whose sidecar cannot start is not created.
        await stopSidecar(p).catch(() => undefined);
        await rm(p.dir, { recursive: true, force: true });
        throw withoutRemovedLog(err, p, o.spec);
      }
    }
    return { ...result(p, plan, sidecar), action: 'created', sidecarAction: sidecar ? 'started' : 'not started' };
  } finally {
    await releaseNewVmLock(p);
  }
}

// The sidecar's error names sidecar.log, but a failed create has just removed it with the VM: say so, and
// point to a way of seeing the sidecar's error that does not depend on that file.
function withoutRemovedLog(err: unknown, p: VmPaths, spec: string): unknown {
  if (!(err instanceof UserError) || !err.hint?.includes(p.sidecarLog)) return err;
  return new UserError(`${err.message}; ${p.name} was not created`, {
    exitCode: err.exitCode,
    details: err.details,
    hint: `${err.details.length ? 'the lines above are the end of its sidecar.log, which was' : 'its sidecar.log was'} removed with the VM; to watch the sidecar start: vmmeta create --no-start ${spec} && vmmeta serve ${p.name}`,
  });
}

export function result(p: VmPaths, plan: Plan, sidecar: SidecarInfo | null): Omit<CreateResult, 'action' | 'sidecarAction'> {
  return { ...vmSummary(p, plan, sidecar), changes: [], settings: plan.settings, recordedFlags: overrideFlags(plan.overrides), repaired: [], kept: [] };
}

export function progress(o: CreateOptions): { progress?: (line: string) => void } {
  return o.progress ? { progress: o.progress } : {};
}
