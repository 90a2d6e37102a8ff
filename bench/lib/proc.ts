// Every process a benchmark starts is registered here so it can be ended even when the benchmark throws or the
// run is interrupted: a benchmark must never leave sidecars, nginx or wrk behind on the host.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

const children = new Set<ChildProcess>();
const extraPids = new Set<number>();
const cleanups: Array<() => Promise<void> | void> = [];

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  return track(spawn(cmd, args, { stdio: 'ignore', ...opts }));
}

// Detached processes started by someone else (sidecars launched by `vmmeta create`) that we must still end.
export function trackPid(pid: number): void {
  extraPids.add(pid);
}

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

export function killPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

export async function waitExit(child: ChildProcess, ms: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if ((await waitExit(child, 2000)) === null && child.exitCode === null) {
    child.kill('SIGKILL');
    await waitExit(child, 2000);
  }
}

export async function cleanupAll(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      console.error(`cleanup failed: ${(err as Error).message}`);
    }
  }
  for (const child of children) child.kill('SIGKILL');
  for (const pid of extraPids) killPid(pid);
  extraPids.clear();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
