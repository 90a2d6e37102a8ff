// Create or update a VM from a spec: validate → plan (render, SMBIOS, QEMU args, libvirt XML) → stage → commit →
// sidecar answering. A new VM is built here; an existing one is updated in place (update.ts), which is also what
// a re-run of `create` with the same or a changed spec does.
import { access, constants, mkdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadSpecFile } from '../spec/load.js';
import { withVmLock } from '../state/lock.js';
import { vmPaths, type VmPaths } from '../state/paths.js';
import { checkVmState } from '../state/secure-dir.js';
import { checkUuidFree, notFound, orphanError, removeLeftovers, vmFolderKind } from '../state/store.js';
import { EXIT, UserError } from '../errors.js';
import { buildPlan, type Plan } from './plan.js';
import { mergeOverrides } from './overrides.js';
import { commitNew, prepareStaging, releaseNewVmLock, stage } from './apply.js';
import { ensureSidecar, launchEarly, stopSidecar, type EarlySidecar } from './sidecar-control.js';
import type { SidecarInfo } from '../sidecar/files.js';
import { updateExisting } from './update.js';
import { progress, result, type CreateOptions, type CreateResult } from './create-result.js';
import { installVmRules, preflightRules, settleTap, tapRules } from '../tap/engine.js';

export async function createOrUpdate(o: CreateOptions): Promise<CreateResult> {
  const first = await loadSpecFile(o.spec, { userDataOutside: o.userDataOutside });
  const name = first.vm.name;
  if (o.vm !== undefined && name !== o.vm) {
    throw new UserError(`${o.spec} describes VM ${name}, not ${o.vm}`, {
      exitCode: EXIT.invalid,
      hint: "the spec's name field picks the VM",
    });
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
    const loaded = { ...first, vm: await settleTap(o.root, first.vm, undefined) };
    const plan = buildPlan(loaded, mergeOverrides({}, o, loaded.vm), p);
    await preflightRules(tapRules(name, plan.outputs), null); // nft missing or refusing: nothing is written
    return createNew(o, p, plan);
  }
  // An orphan (no state.json) is rebuilt only with --force: update.ts recovers its uuid from served.json.
  if (kind === 'orphan' && !o.force) throw orphanError(p);
  return withVmLock(p.dir, () => updateExisting(o, p), name);
}

async function createNew(o: CreateOptions, p: VmPaths, plan: Plan): Promise<CreateResult> {
  // A per-VM sidecar starts now and waits for the folder, so its start-up overlaps staging (launchEarly).
  let early: EarlySidecar | undefined;
  if (o.start !== false && plan.vm.sidecar.mode !== 'host') {
    const staging = await prepareStaging(p);
    early = await launchEarly(p, staging).catch(async (err: unknown) => {
      await rm(staging, { recursive: true, force: true });
      throw err;
    });
  }
  try {
    const staged = await stage(
      plan,
      p,
      { now: (o.now ?? (() => new Date()))(), source: resolve(o.spec), prepared: early !== undefined, ...progress(o) },
      true,
    );
    await commitNew(staged, p);
  } catch (err) {
    await early?.abandon();
    throw err;
  }
  try {
    let sidecar: SidecarInfo | null = null;
    if (o.start !== false) {
      try {
        sidecar = early ? await early.ready(progress(o)) : (await ensureSidecar(p, progress(o))).info;
      } catch (err) {
        // All or nothing: a VM whose sidecar cannot start is not created.
        await stopSidecar(p).catch(() => undefined);
        await rm(p.dir, { recursive: true, force: true });
        throw withoutRemovedLog(err, p, o.spec);
      }
    }
    const rules = tapRules(p.name, plan.outputs);
    if (rules) {
      try {
        await installVmRules(rules);
      } catch (err) {
        await stopSidecar(p).catch(() => undefined);
        await rm(p.dir, { recursive: true, force: true });
        throw err;
      }
    }
    return {
      ...result(p, plan, sidecar),
      action: 'created',
      sidecarAction: sidecar ? 'started' : 'not started',
      ...(rules ? { rules: 'installed' as const } : {}),
    };
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
