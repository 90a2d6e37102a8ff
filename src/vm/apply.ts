// Writing a plan. Everything goes into a staging folder `<vm>.tmp-<pid>/` first; a new VM is then renamed into
// place in one step (lima's create: all or nothing, a failed create leaves nothing behind), and an existing VM
// gets its generated files swapped in one by one under its lock, state.json last, so a command killed half-way
// leaves a state.json that still describes the old files and the next run redoes the update.
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildIso } from '../hypervisor/iso.js';
import { newSecrets } from '../state/secrets.js';
import { stableJson } from '../render/tree.js';
import { ensureDir, fsyncDir, withPath } from '../state/atomic.js';
import { acquireLock, releaseLock } from '../state/lock.js';
import { FILES, GENERATED, stagingDir, type VmPaths } from '../state/paths.js';
import { STATE_VERSION, encodeResolved, type StoredState } from '../state/store.js';
import { EXIT, UserError } from '../errors.js';
import { sha256, type Plan } from './plan.js';

export interface StageOptions {
  secrets?: string; // the existing secrets.json text: the token key survives updates
  createdAt?: string;
  source?: string; // the spec file's absolute path, recorded in state.json
  keepDomainXml?: boolean; // domain.xml was edited: vmmeta's copy goes to domain.vmmeta.xml instead
  now: Date;
  progress?: (line: string) => void;
  // The staging folder was made by prepareStaging (create put the early sidecar's log and launch record in it).
  prepared?: boolean;
}

// A fresh, empty staging folder for the VM, as stage makes it.
export async function prepareStaging(p: VmPaths): Promise<string> {
  const dir = stagingDir(p.root, p.name);
  await rm(dir, { recursive: true, force: true });
  await ensureDir(dir, 0o711); // traversable: QEMU (libvirt-qemu under libvirt) opens the ISOs by name
  return dir;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

// Nothing in the private staging folder is seen before the folder (new VM) or each file (update) is renamed into
// place, so a per-file temp + rename + folder fsync buys nothing there: files are written plainly, several at
// once, each fsynced, and every folder fsynced once before the commit renames anything (a create went from
// ~170 sequential fsyncs to ~85 parallel ones, docs/performance.md).
const WRITE_CONCURRENCY = 16;

async function writeDurable(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const fh = await open(path, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode); // the umask may have narrowed the open mode
    await fh.sync();
  } catch (err) {
    throw withPath(err, path);
  } finally {
    await fh.close();
  }
}

async function writeAll(
  dir: string,
  files: Array<[string, string | Uint8Array, number]>,
  folders: Set<string>,
): Promise<void> {
  const parents = [...new Set(files.map(([rel]) => dirname(join(dir, rel))))].sort();
  for (const d of parents) {
    if (!folders.has(d)) await mkdir(d, { recursive: true, mode: 0o700 });
    for (let f = d; f.startsWith(dir) && !folders.has(f); f = dirname(f)) folders.add(f);
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const [rel, data, mode] = files[next++]!;
      await writeDurable(join(dir, rel), data, mode);
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(WRITE_CONCURRENCY, files.length) }, worker));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function buildIsos(plan: Plan, dir: string, o: StageOptions): Promise<void> {
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
}

// Renders `plan` into a fresh staging folder and returns its path, every file and folder in it durable. On
// failure the folder is removed.
export async function stage(plan: Plan, p: VmPaths, o: StageOptions, lock: boolean): Promise<string> {
  const dir = o.prepared ? stagingDir(p.root, p.name) : await prepareStaging(p);
  const folders = new Set<string>([dir]);
  try {
    if (lock) await acquireLock(dir, p.name);
    const files: Array<[string, string | Uint8Array, number]> = [...plan.files].map(([rel, f]) => [
      rel === FILES.domainXml && o.keepDomainXml ? FILES.domainXmlCopy : rel,
      f.data,
      f.mode,
    ]);
    files.push([FILES.secrets, o.secrets ?? newSecrets(), 0o600]);
    // The ISOs are built from the plan, not from the staged files, so genisoimage runs while the files are
    // written. allSettled: nothing may still be writing into the folder when a failure removes it.
    const results = await Promise.allSettled([writeAll(dir, files, folders), buildIsos(plan, dir, o)]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const now = o.now.toISOString();
    const state: StoredState = {
      version: STATE_VERSION,
      name: plan.vm.name,
      uuid: plan.vm.uuid,
      randomSeed: plan.vm.randomSeed,
      specHash: plan.specHash,
      createdAt: o.createdAt ?? now,
      updatedAt: now,
      resolved: encodeResolved(plan.vm),
      outputs: plan.outputs,
      overrides: plan.overrides,
      settings: plan.settings,
      ...(o.source ? { source: o.source } : {}),
      rendered: { [FILES.domainXml]: sha256(plan.files.get(FILES.domainXml)!.data) },
    };
    await writeDurable(join(dir, FILES.state), stableJson(state), 0o600);
    await Promise.all([...folders].map((f) => fsyncDir(f)));
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
// (an ISO after --suppress-nocloud), state.json last. Runtime files (sidecar.*, access log, password) stay, and
// so do the `keep` files (an edited domain.xml). The old files are moved into the staging folder rather than
// removed, so an update whose sidecar then fails can put the VM back as it was (`restore`); `discard` drops them.
export interface Committed {
  restore(): Promise<void>;
  discard(): Promise<void>;
}

export async function commitUpdate(staged: string, p: VmPaths, keep: readonly string[] = []): Promise<Committed> {
  const old = join(staged, '.old');
  await mkdir(old, { mode: 0o700 });
  const moved: Array<{ file: string; had: boolean; put: boolean }> = [];
  const restore = async (): Promise<void> => {
    for (const m of moved.reverse()) {
      const to = m.file === FILES.state ? p.state : join(p.dir, m.file);
      if (m.put) await rm(to, { recursive: true, force: true });
      if (m.had) await rename(join(old, m.file), to);
    }
    moved.length = 0;
    await fsyncDir(p.dir);
    await rm(staged, { recursive: true, force: true });
  };
  try {
    for (const file of [...GENERATED, FILES.state]) {
      if (keep.includes(file)) continue;
      const from = join(staged, file);
      const to = join(p.dir, file);
      const m = { file, had: await exists(to), put: await exists(from) };
      if (!m.had && !m.put) continue;
      // rename(2) cannot replace a non-empty folder (meta/), so the old one always moves aside first.
      if (m.had) await rename(to, join(old, file));
      moved.push(m);
      if (m.put) await rename(from, to);
    }
    await fsyncDir(p.dir);
  } catch (err) {
    await restore().catch(() => undefined);
    throw err;
  }
  return { restore, discard: () => rm(staged, { recursive: true, force: true }) };
}
export async function releaseNewVmLock(p: VmPaths): Promise<void> {
  await releaseLock(p.dir);
}
