// Writing a plan. Everything goes into a staging folder `<vm>.tmp-<pid>/` first; a new VM is then renamed into
// place in one step (lima's create: all or nothing, a failed create leaves nothing behind), and an existing VM
// gets its generated files swapped in one by one under its lock, state.json last, so a command killed half-way
// leaves a state.json that still describes the old files and the next run redoes the update.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildIso } from '../hypervisor/iso.js';
import { newSecrets } from '../sidecar/files.js';
import { stableJson } from '../render/tree.js';
import { ensureDir, fsyncDir, writeFileAtomic } from '../state/atomic.js';
import { acquireLock, releaseLock } from '../state/lock.js';
import { FILES, GENERATED, stagingDir, type VmPaths } from '../state/paths.js';
import { STATE_VERSION, encodeResolved, type StoredState } from '../state/store.js';
import { EXIT, UserError } from './errors.js';
import type { Plan } from './plan.js';

export interface StageOptions {
  secrets?: string; // the existing secrets.json text: the token key survives updates
  createdAt?: string;
  now: Date;
  progress?: (line: string) => void;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

// Renders `plan` into a fresh staging folder and returns its path. On failure the folder is removed.
export async function stage(plan: Plan, p: VmPaths, o: StageOptions, lock: boolean): Promise<string> {
  const dir = stagingDir(p.root, p.name);
  await rm(dir, { recursive: true, force: true });
  await ensureDir(dir, 0o700);
  try {
    if (lock) await acquireLock(dir, p.name);
    for (const [rel, f] of plan.files) {
      const target = join(dir, rel);
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await writeFileAtomic(target, f.data, { mode: f.mode });
    }
    await writeFileAtomic(join(dir, FILES.secrets), o.secrets ?? newSecrets(), { mode: 0o600 });
    const isos: Array<[string, 'cidata' | 'config-2', Map<string, Uint8Array> | undefined]> = [
      [FILES.cidataIso, 'cidata', plan.isos.cidata],
      [FILES.configDriveIso, 'config-2', plan.isos.configDrive],
    ];
    for (const [file, volumeId, tree] of isos) {
      if (!tree) continue;
      const timer = setTimeout(() => o.progress?.(`building ${file}…`), 1000);
      try {
        await buildIso(tree, { volumeId, out: join(dir, file), mode: 0o600 }); // it holds the user-data
      } finally {
        clearTimeout(timer);
      }
    }
    const now = o.now.toISOString();
    const state: StoredState = {
      version: STATE_VERSION,
      name: plan.vm.name,
      uuid: plan.vm.uuid,
      randomSeed: plan.vm.randomSeed,
      specHash: plan.specHash,
      createdAt: o.createdAt ?? now,
      updatedAt: now,
      resolved: encodeResolved(plan.vm) as StoredState['resolved'],
      outputs: plan.outputs,
    };
    await writeFileAtomic(join(dir, FILES.state), stableJson(state), { mode: 0o600 });
    return dir;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

// A new VM: one rename. Losing the race to a parallel create of the same VM is a conflict (exit 4).
export async function commitNew(staged: string, p: VmPaths): Promise<void> {
  try {
    await rename(staged, p.dir);
  } catch (err) {
    await rm(staged, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && !(await exists(join(p.dir, FILES.state)))) {
      throw new UserError(`${p.dir} exists but is not a vmmeta VM (it has no ${FILES.state})`, {
        exitCode: EXIT.conflict,
        hint: `move it out of the way: mv ${p.dir} ${p.dir}.orig`,
      });
    }
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      throw new UserError(`${p.name} was created by another vmmeta command at the same time`, {
        exitCode: EXIT.conflict,
        hint: `see it with: vmmeta inspect ${p.name}`,
      });
    }
    throw err;
  }
  await fsyncDir(p.root);
}

// An existing VM (caller holds the lock): swap generated files in, drop the ones the new plan no longer has
// (an ISO after --suppress-nocloud), state.json last. Runtime files (sidecar.*, access log, password) stay.
export async function commitUpdate(staged: string, p: VmPaths): Promise<void> {
  try {
    for (const file of GENERATED) {
      const from = join(staged, file);
      const to = join(p.dir, file);
      if (!(await exists(from))) {
        await rm(to, { recursive: true, force: true });
      } else if (file === FILES.meta) {
        // rename(2) cannot replace a non-empty folder: move the old one into the staging folder first.
        if (await exists(to)) await rename(to, join(staged, `${FILES.meta}.old`));
        await rename(from, to);
      } else {
        await rename(from, to);
      }
    }
    await rename(join(staged, FILES.state), p.state);
    await fsyncDir(p.dir);
  } finally {
    await rm(staged, { recursive: true, force: true });
  }
}

export async function releaseNewVmLock(p: VmPaths): Promise<void> {
  await releaseLock(p.dir);
}
