// A per-VM lock. Node has no flock, so the lock is a file named `lock` holding the owner's pid and start time
// (`<pid> <ticks>@<boot id>`, see processStartTime), created with link(2) from a fully written temp file: it
// appears atomically and is never seen empty. A lock whose owner is dead (a command killed with SIGKILL) is
// taken over; a live owner makes the command fail with exit 4. The state root lives on disk, so after a reboot
// the pid in a lock often belongs to some other process: the start time tells them apart.
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FILES } from './paths.js';
import { isAlive, processArgv, processStartTime } from './pid.js';
import { withPath } from './atomic.js';
import { NOFOLLOW_WRITE } from './secure-dir.js';
import { EXIT, UserError } from '../errors.js';

async function readOwner(path: string): Promise<number | undefined> {
  try {
    const [pid, start] = (await readFile(path, 'utf8')).trim().split(/\s+/);
    const n = Number(pid);
    if (!Number.isInteger(n) || n <= 0) return undefined;
    return ownerAlive(n, start) ? n : -n; // negative: the pid named a dead owner
  } catch {
    return undefined;
  }
}

// The lock's owner is alive when its pid runs and started when the lock says. A lock with no start time was not
// written by this vmmeta (an older version, or by hand): its pid counts only while it runs vmmeta.
function ownerAlive(pid: number, start: string | undefined): boolean {
  if (pid === process.pid) return true;
  if (!isAlive(pid)) return false;
  const now = processStartTime(pid);
  if (start !== undefined) return now === undefined || now === start;
  const argv = processArgv(pid);
  return argv === undefined || argv.some((a) => /vmmeta/.test(a));
}

function lockLine(): string {
  const start = processStartTime(process.pid);
  return start ? `${process.pid} ${start}\n` : `${process.pid}\n`;
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
    await writeFile(tmp, lockLine(), { mode: 0o600, flag: NOFOLLOW_WRITE }).catch(async (err: unknown) => {
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
    if (owner !== undefined && owner > 0) throw lockedError(vm, owner);
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
    if (moved !== owner && moved !== undefined && moved > 0) {
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
  return owner !== undefined && owner > 0 ? owner : undefined;
}
