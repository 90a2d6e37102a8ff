// vmmeta create <spec.yaml>: validate → plan (render, SMBIOS, QEMU args, libvirt XML) → stage → commit → sidecar
// answering. Re-running with the same spec is a no-op that makes sure the sidecar runs; a changed spec updates
// the VM in place and the running sidecar reloads (SIGHUP). Also the engine of `vmmeta update`.
import { access, constants, mkdir, readFile, rm } from 'node:fs/promises';
import { loadSpecFile } from '../../spec/load.js';
import { withVmLock } from '../../state/lock.js';
import { vmPaths, type VmPaths } from '../../state/paths.js';
import { notFound, readState, removeLeftovers, vmExists, type StoredState } from '../../state/store.js';
import { EXIT, UserError } from '../errors.js';
import { buildPlan, type Overrides, type Plan } from '../plan.js';
import { commitNew, commitUpdate, releaseNewVmLock, stage } from '../apply.js';
import { ensureSidecar, reloadSidecar, sidecarStatus, stopSidecar, type SidecarInfo } from '../sidecar-control.js';
import { servesPlan, waitServing } from '../reload.js';
import { vmSummary, type VmSummary } from '../summary.js';

export interface CreateOptions extends Overrides {
  root: string;
  spec: string;
  force?: boolean;
  start?: boolean; // default true; --no-start
  vm?: string; // update: the VM the spec must name, and it must exist
  progress?: (line: string) => void;
  now?: () => Date;
}

export interface CreateResult extends VmSummary {
  action: 'created' | 'updated' | 'unchanged';
  sidecarAction: 'started' | 'reloaded' | 'restarted' | 'kept' | 'not started';
}

export async function create(o: CreateOptions): Promise<CreateResult> {
  const first = await loadSpecFile(o.spec);
  const name = first.vm.name;
  if (o.vm !== undefined && name !== o.vm) {
    throw new UserError(`${o.spec} describes VM ${name}, not ${o.vm}`, { exitCode: EXIT.invalid, hint: 'the spec\'s name field picks the VM' });
  }
  await mkdir(o.root, { recursive: true, mode: 0o700 });
  // mkdir -p reports a read-only file system as ENOENT; ask the question that gets EROFS/EACCES back.
  await access(o.root, constants.W_OK);
  const p = vmPaths(o.root, name);
  await removeLeftovers(o.root, name);
  if (!(await vmExists(o.root, name))) {
    if (o.vm !== undefined) throw notFound(o.root, name);
    return createNew(o, p, buildPlan(first, o, p));
  }
  return withVmLock(p.dir, () => updateExisting(o, p), name);
}

async function createNew(o: CreateOptions, p: VmPaths, plan: Plan): Promise<CreateResult> {
  const staged = await stage(plan, p, { now: (o.now ?? (() => new Date()))(), ...progress(o) }, true);
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
        throw err;
      }
    }
    return { ...vmSummary(p, plan, sidecar), action: 'created', sidecarAction: sidecar ? 'started' : 'not started' };
  } finally {
    await releaseNewVmLock(p);
  }
}

async function updateExisting(o: CreateOptions, p: VmPaths): Promise<CreateResult> {
  const state = await readState(p);
  const loaded = await loadSpecFile(o.spec, { ids: { uuid: state.uuid, randomSeed: state.randomSeed } });
  const plan = buildPlan(loaded, o, p);
  if (plan.specHash === state.specHash) {
    if (o.start === false) return { ...vmSummary(p, plan, null), action: 'unchanged', sidecarAction: 'not started' };
    const { info, started } = await ensureSidecar(p, progress(o));
    if (!started && !(await servesPlan(info, plan))) {
      // An earlier update committed the files but was killed before the sidecar reloaded them.
      reloadSidecar(info.pid);
      await waitServing(info, plan);
      return { ...vmSummary(p, plan, info), action: 'unchanged', sidecarAction: 'reloaded' };
    }
    return { ...vmSummary(p, plan, info), action: 'unchanged', sidecarAction: started ? 'started' : 'kept' };
  }
  checkLoss(state, plan, o);
  const secrets = await readFile(p.secrets, 'utf8').catch(() => undefined);
  const staged = await stage(plan, p, { now: (o.now ?? (() => new Date()))(), createdAt: state.createdAt, ...(secrets ? { secrets } : {}), ...progress(o) }, false);
  await commitUpdate(staged, p);
  if (plan.vm.uuid !== state.uuid) await rm(p.password, { force: true }); // the old instance's password
  const { info, action } = await refreshSidecar(o, p, plan, state);
  return { ...vmSummary(p, plan, info), action: 'updated', sidecarAction: action };
}

// A running sidecar reloads served.json on SIGHUP; new listen addresses need a restart.
async function refreshSidecar(o: CreateOptions, p: VmPaths, plan: Plan, state: StoredState): Promise<{ info: SidecarInfo | null; action: CreateResult['sidecarAction'] }> {
  const status = await sidecarStatus(p);
  const sameListen = JSON.stringify(state.outputs.listen) === JSON.stringify(plan.outputs.listen);
  if (status.state === 'running' && status.info && sameListen) {
    reloadSidecar(status.info.pid);
    await waitServing(status.info, plan);
    return { info: status.info, action: 'reloaded' };
  }
  const wasUp = status.state === 'running' || status.state === 'starting';
  if (wasUp) await stopSidecar(p);
  // update leaves a stopped sidecar stopped (someone stopped it, or systemd owns it); create makes it run.
  if (!wasUp && (o.start === false || o.vm !== undefined)) return { info: null, action: 'not started' };
  return { info: (await ensureSidecar(p, progress(o))).info, action: wasUp ? 'restarted' : 'started' };
}

function checkLoss(state: StoredState, plan: Plan, o: CreateOptions): void {
  if (plan.vm.uuid === state.uuid || o.force) return;
  throw new UserError(`the spec changes the uuid of ${plan.vm.name} from ${state.uuid} to ${plan.vm.uuid}`, {
    exitCode: EXIT.conflict,
    details: ['cloud-init would treat the guest as a new instance: new host keys, per-instance modules run again, the stored password dropped'],
    hint: `re-run with --force if that is what you want: vmmeta create --force ${o.spec}`,
  });
}

function progress(o: CreateOptions): { progress?: (line: string) => void } {
  return o.progress ? { progress: o.progress } : {};
}
