// A per-VM lock. Node has no flock, so the lock is a file named `lock` holding the owner's pid, created with
// link(2) from a fully written temp file: it appears atomically and is never seen empty. A lock whose owner is
// dead (a command killed with SIGKILL) is taken over; a live owner makes the command fail with exit 4.
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FILES } from './paths.js';
import { isAlive } from './pid.js';
import { withPath } from './atomic.js';
import { EXIT, UserError } from '../cli/errors.js';

async function readOwner(path: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function lockedError(vm: string, owner: number): UserError {
  return new UserError(`another vmmeta command (pid ${owner}) holds ${vm}`, {
    exitCode: EXIT.conflict,
    hint: `wait for it to finish, or check it with: ps -p ${owner} -o args=`,
  });
}

// Takes the lock in `dir`; returns false when this process already holds it (nested use).
export async function acquireLock(dir: string, vm = basename(dir)): Promise<boolean> {
  const lock = join(dir, FILES.lock);
  const tmp = join(dir, `.lock.${process.pid}.tmp`);
  for (let attempt = 0; attempt < 5; attempt++) {
    await writeFile(tmp, `${process.pid}\n`, { mode: 0o600 }).catch(async (err: unknown) => {
      await unlink(tmp).catch(() => undefined);
      throw withPath(err, lock);
    });
    try {
      await link(tmp, lock);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    const owner = await readOwner(lock);
    if (owner === process.pid) return false;
    if (owner !== undefined && isAlive(owner)) throw lockedError(vm, owner);
    // Stale. Move it aside rather than unlink it, then check what we moved: if another process replaced the
    // stale lock with its own in between, put that one back and yield to it.
    const aside = join(dir, `.lock.stale.${process.pid}`);
    try {
      await rename(lock, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const moved = await readOwner(aside);
    if (moved !== owner && moved !== undefined && isAlive(moved)) {
      await link(aside, lock).catch(() => undefined);
      await unlink(aside).catch(() => undefined);
      throw lockedError(vm, moved);
    }
    await unlink(aside).catch(() => undefined);
  }
  throw new UserError(`could not take the lock of ${vm}: it keeps changing hands`, { exitCode: EXIT.conflict });
}

export async function releaseLock(dir: string): Promise<void> {
  const lock = join(dir, FILES.lock);
  if ((await readOwner(lock)) === process.pid) await unlink(lock).catch(() => undefined);
}

// Runs fn while holding the VM's lock, released in finally whatever fn does.
export async function withVmLock<T>(dir: string, fn: () => Promise<T>, vm = basename(dir)): Promise<T> {
  const acquired = await acquireLock(dir, vm);
  try {
    return await fn();
  } finally {
    if (acquired) await releaseLock(dir);
  }
}

export async function lockOwner(dir: string): Promise<number | undefined> {
  const owner = await readOwner(join(dir, FILES.lock));
  return owner !== undefined && isAlive(owner) ? owner : undefined;
}
