// Pid files and liveness. A dead pid reads as absent, and reading never removes anything: inspect reports a
// stale file, only a command that owns the VM (under its lock) cleans it up.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers kill(0) until its parent reaps it; for us it is gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs: trust kill(0)
  }
}

// When pid started, as /proc/<pid>/stat field 22 (clock ticks since boot) plus the boot id, or undefined (gone,
// or no procfs). With the pid it names one process for good: a pid reused after a reboot or a wrap-around
// has another start time or another boot id.
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces and parentheses: field 3 is the first.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
    if (!start || !/^\d+$/.test(start)) return undefined;
    return `${start}@${bootId() ?? 'unknown'}`;
  } catch {
    return undefined;
  }
}

let cachedBootId: string | undefined;
function bootId(): string | undefined {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      return undefined;
    }
  }
  return cachedBootId;
}

// The argv of a live process, or undefined (not Linux, or gone). Used to tell our sidecar from a recycled pid.
export function processArgv(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s) => s !== '');
  } catch {
    return undefined;
  }
}

// True when pid runs `vmmeta serve <vm>`, or with host, `vmmeta host` (or when that cannot be checked on this
// platform).
export function isSidecarProcess(pid: number, vm: string, host = false): boolean {
  if (!isAlive(pid)) return false;
  const argv = processArgv(pid);
  if (!argv) return true;
  if (host) {
    const i = argv.indexOf('host');
    return i > 0 && argv.slice(0, i).some((a) => /(^|\/)vmmeta(\.js)?$/.test(a));
  }
  const i = argv.indexOf('serve');
  return i >= 0 && argv[i + 1] === vm;
}

export async function readJsonFile(path: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // half-written by a process that died: same as absent
  }
}

// A file holding `{ pid, ... }` whose pid is alive, or undefined.
export async function readLivePidFile<T extends { pid: number }>(path: string): Promise<T | undefined> {
  const data = (await readJsonFile(path)) as T | undefined;
  if (!data || typeof data.pid !== 'number') return undefined;
  return isAlive(data.pid) ? data : undefined;
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}
