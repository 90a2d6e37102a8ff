// Starting, probing and stopping a VM's sidecar (`vmmeta serve <vm>`, the same binary), or in host mode asking
// the state root's `vmmeta host` to. Launch follows lima's hostagent: detached, cleanup off (execa would otherwise
// kill it when this command exits), stdio to the log, unref'd. Ready
// means sidecar.json names the child's pid AND an HTTP request answers; a pid file alone is not readiness. Every
// wait is a short sleep with a deadline.
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Options } from 'execa';
import { writeFileAtomic } from '../state/atomic.js';
import { FILES, type VmPaths } from '../state/paths.js';
import { socketPathProblem } from '../state/layout.js';
import { isAlive, isSidecarProcess, readJsonFile, waitForExit } from '../state/pid.js';
import { UserError } from '../errors.js';
import { probeListener, type ProbeResult } from './probe.js';
import { asSidecarInfo, type SidecarInfo } from '../sidecar/files.js';
import { NOFOLLOW_APPEND, isLinkError, plantedLinkError } from '../state/secure-dir.js';
import { HostNotRunning, hostRequest } from './host-client.js';

// A small young generation keeps an idle-then-busy sidecar near 60 MB RSS instead of ~95 MB after a burst of
// requests (measured with wrk, docs/sidecar.md); V8 reads it only at start-up, so it must be on the command line.
// templates/vmmeta-sidecar@.service sets the same flag through NODE_OPTIONS.
export const SIDECAR_NODE_FLAGS = ['--max-semi-space-size=2'];

// Generous for a loaded host (50 creates at once on two cores take ~30 s in all); a healthy sidecar answers in ~0.2 s.
export const READY_TIMEOUT_MS = 15_000;
// A sidecar answers ~0.2 s after spawn; a 50 ms poll added ~25 ms on average to every create. Each poll is a
// small file read, so 10 ms costs nothing noticeable.
const READY_POLL_MS = 10;
// VMMETA_READY_TIMEOUT_MS: a knob for very slow hosts (and for tests of the timeout path).
function readyTimeoutMs(): number {
  const v = Number(process.env.VMMETA_READY_TIMEOUT_MS);
  return Number.isInteger(v) && v > 0 ? v : READY_TIMEOUT_MS;
}
const BIN = fileURLToPath(new URL('../../../bin/vmmeta.js', import.meta.url));

export interface SidecarStatus {
  state: 'running' | 'starting' | 'stopped' | 'dead'; // dead: sidecar.json names a pid that is gone
  pid?: number;
  info?: SidecarInfo;
}

// Reads only: a stale sidecar.json is reported as `dead`, never removed here.
export async function sidecarStatus(p: VmPaths): Promise<SidecarStatus> {
  const info = asSidecarInfo(await readJsonFile(p.sidecarJson));
  if (info && isSidecarProcess(info.pid, p.name, info.host === true)) return { state: 'running', pid: info.pid, info };
  const launch = (await readJsonFile(p.sidecarLaunch)) as { pid?: number } | undefined;
  if (launch?.pid && launch.pid !== info?.pid && isSidecarProcess(launch.pid, p.name))
    return { state: 'starting', pid: launch.pid };
  return info ? { state: 'dead', pid: info.pid, info } : { state: 'stopped' };
}

export async function probeSidecar(info: SidecarInfo, timeoutMs = 1000): Promise<ProbeResult[]> {
  return Promise.all(info.listen.map((l) => probeListener(l, timeoutMs)));
}

export interface LaunchOptions {
  progress?: (line: string) => void;
  timeoutMs?: number;
}

// Whether the VM's current served.json (its spec's sidecar.mode) asks for the state root's `vmmeta host`.
async function servedByHost(p: VmPaths): Promise<boolean> {
  return ((await readJsonFile(p.served)) as { host?: unknown } | undefined)?.host === true;
}

// Starts the sidecar unless one is running (or starting: a create killed mid-launch leaves one coming up, and
// a second would fight it for the socket). Returns the live sidecar's info once it answers. In host mode the
// state root's host process is asked to serve the VM instead: no process is started.
export async function ensureSidecar(
  p: VmPaths,
  opts: LaunchOptions = {},
): Promise<{ info: SidecarInfo; started: boolean }> {
  const host = await servedByHost(p);
  const status = await sidecarStatus(p);
  if (
    status.state === 'running' &&
    status.info &&
    (status.info.host === true) === host &&
    (await probeSidecar(status.info)).every((r) => r.ok)
  ) {
    return { info: status.info, started: false };
  }
  // The VM changed modes: whatever served it before lets go of its listeners first.
  if (status.state !== 'stopped' && (status.info?.host === true) !== host) await stopSidecar(p);
  if (host) return { info: await loadIntoHost(p), started: true };
  if (status.state === 'running' || status.state === 'starting') {
    // Alive but not answering: give it the usual deadline, then replace it.
    try {
      return { info: await waitReady(p, status.pid!, opts), started: false };
    } catch {
      await stopSidecar(p);
    }
  }
  return { info: await launchSidecar(p, opts), started: true };
}

// The host replies once the VM's listeners are bound and its sidecar.json written; the probe then checks, as for
// a per-VM sidecar, that every listener answers.
async function loadIntoHost(p: VmPaths): Promise<SidecarInfo> {
  const reply = await hostRequest(p.root, { op: 'load', vm: p.name, start: true });
  const info = asSidecarInfo(await readJsonFile(p.sidecarJson));
  if (!info?.host || info.pid !== reply.pid)
    throw new UserError(`the vmmeta host (pid ${reply.pid}) loaded ${p.name} but wrote no sidecar.json for it`);
  const failed = (await probeSidecar(info)).filter((r) => !r.ok);
  if (failed.length)
    throw new UserError(`the vmmeta host serves ${p.name}, but not every listener answers`, {
      details: failed.map((r) => `${r.address}: ${r.error ?? `HTTP ${r.status}`}`),
    });
  return info;
}

export async function launchSidecar(p: VmPaths, opts: LaunchOptions = {}): Promise<SidecarInfo> {
  const pid = await spawnServe(p, p.dir, []);
  await writeFileAtomic(p.sidecarLaunch, JSON.stringify({ pid, launchedAt: new Date().toISOString() }) + '\n', {
    mode: 0o600,
  });
  return waitReady(p, pid, opts);
}

// A sidecar started while `create` still stages the VM, so that its Node start-up (~100 ms) overlaps the
// rendering and the ISO instead of following them. It waits (serve --await-launch) until the VM folder holds a
// launch record naming its own pid: written here into the staging folder, that record appears only when this
// create's rename puts the folder in place, so a create that loses a race or fails never has its sidecar serve.
export interface EarlySidecar {
  ready(opts?: LaunchOptions): Promise<SidecarInfo>;
  abandon(): Promise<void>;
}

export async function launchEarly(p: VmPaths, staging: string): Promise<EarlySidecar> {
  const pid = await spawnServe(p, p.root, ['--await-launch', String(process.pid)], staging);
  await writeFileAtomic(
    join(staging, FILES.sidecarLaunch),
    JSON.stringify({ pid, launchedAt: new Date().toISOString() }) + '\n',
    { mode: 0o600 },
  );
  return {
    ready: (opts = {}) => waitReady(p, pid, opts),
    abandon: async () => void (await terminate(pid)),
  };
}

// Spawns `vmmeta serve <vm>`: its log is sidecar.log in logDir (the VM folder, or create's staging folder).
async function spawnServe(p: VmPaths, cwd: string, extra: string[], logDir = p.dir): Promise<number> {
  const tooLong = socketPathProblem(p.sidecarSock);
  if (tooLong) throw new UserError(tooLong, { hint: 'use a shorter state root: --state-dir or VMMETA_STATE_DIR' });
  // O_NOFOLLOW: a planted sidecar.log link must not make a root sidecar append to the file it points at.
  const logPath = join(logDir, FILES.sidecarLog);
  let log: number;
  try {
    log = openSync(logPath, NOFOLLOW_APPEND, 0o600);
  } catch (err) {
    throw isLinkError(err) ? plantedLinkError(logPath) : err;
  }
  let pid: number | undefined;
  try {
    // Loaded only when a sidecar is launched (bundled, its import is a few ms; unbundled it was 55–90 ms).
    const { execa } = await import('execa');
    const options: Options = {
      detached: true,
      cleanup: false,
      stdin: 'ignore',
      // A raw fd, so the child writes the log itself and nothing flows through this process once it exits
      // (execa's {file} form would pipe through us). execa's types only admit fd literals 3..9 here.
      stdout: log as 3,
      stderr: log as 3,
      env: { VMMETA_STATE_DIR: p.root },
      cwd, // not the caller's folder: a long-lived process there would keep it busy (umount, rmdir)
    };
    const child = execa(process.execPath, [...SIDECAR_NODE_FLAGS, BIN, 'serve', p.name, ...extra], options);
    child.catch(() => undefined);
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(log);
  }
  if (!pid) throw new UserError(`could not start the sidecar of ${p.name}`, { hint: `see ${logPath}` });
  return pid;
}

async function waitReady(p: VmPaths, pid: number, opts: LaunchOptions): Promise<SidecarInfo> {
  const started = Date.now();
  const deadline = started + (opts.timeoutMs ?? readyTimeoutMs());
  let announced = false;
  let last = '';
  for (;;) {
    const info = asSidecarInfo(await readJsonFile(p.sidecarJson));
    if (info?.pid === pid) {
      const probes = await probeSidecar(info, 1000);
      if (probes.every((r) => r.ok)) return info;
      last = probes
        .filter((r) => !r.ok)
        .map((r) => `${r.address}: ${r.error ?? `HTTP ${r.status}`}`)
        .join('; ');
    }
    if (!isAlive(pid)) {
      throw new UserError(`the sidecar of ${p.name} exited during start-up`, {
        details: await logTail(p),
        hint: `see ${p.sidecarLog}`,
      });
    }
    if (Date.now() > deadline) {
      await terminate(pid);
      throw new UserError(
        `the sidecar of ${p.name} did not answer within ${duration(deadline - started)}${last ? ` (${last})` : ''}`,
        {
          details: await logTail(p),
          hint: `see ${p.sidecarLog}`,
        },
      );
    }
    if (!announced && Date.now() - started > 1000) {
      opts.progress?.(`waiting for the sidecar of ${p.name} (pid ${pid}) to answer…`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
}

// "3 s", "1.5 s", or "1 ms" for a timeout under a second (VMMETA_READY_TIMEOUT_MS=1 once printed "within 0 s").
export function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

async function logTail(p: VmPaths, lines = 5): Promise<string[]> {
  const text = await readFile(p.sidecarLog, 'utf8').catch(() => '');
  return text
    .trimEnd()
    .split('\n')
    .filter(Boolean)
    .slice(-lines)
    .map((l) => `${FILES.sidecarLog}: ${l}`);
}

async function terminate(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return true;
  }
  if (await waitForExit(pid, 5000)) return true;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return true;
  }
  return waitForExit(pid, 2000);
}

// SIGTERM, wait until the pid is gone, then clear the runtime files that named it. Call under the VM's lock.
// In host mode the host is asked to stop serving the VM (and, with `stop`, to leave it stopped across its own
// restarts); the host process itself keeps running, so it is reported as `host`, not in `stopped`.
export async function stopSidecar(
  p: VmPaths,
  o: { stop?: boolean } = {},
): Promise<{ stopped: number[]; host?: number }> {
  const stopped: number[] = [];
  const info = asSidecarInfo(await readJsonFile(p.sidecarJson));
  if (info?.host) {
    let host: number | undefined;
    try {
      host = (await hostRequest(p.root, { op: 'unload', vm: p.name, ...(o.stop ? { stop: true } : {}) })).pid;
    } catch (err) {
      if (!(err instanceof HostNotRunning)) throw err; // a host that is gone serves nothing
    }
    await rm(p.sidecarJson, { force: true });
    return host !== undefined && isSidecarProcess(info.pid, p.name, true) ? { stopped, host } : { stopped };
  }
  const launch = (await readJsonFile(p.sidecarLaunch)) as { pid?: number } | undefined;
  for (const pid of new Set([info?.pid, launch?.pid])) {
    if (pid && isSidecarProcess(pid, p.name)) {
      if (!(await terminate(pid)))
        throw new UserError(`the sidecar of ${p.name} (pid ${pid}) did not stop`, { hint: `kill -9 ${pid}` });
      stopped.push(pid);
    }
  }
  await rm(p.sidecarJson, { force: true });
  await rm(p.sidecarLaunch, { force: true });
  return { stopped };
}

// A per-VM sidecar re-reads served.json on SIGHUP; the host is asked to, and replies once the tree is swapped.
// Either way the caller then waits until the new documents are served (serving.ts).
export async function reloadSidecar(p: VmPaths, info: SidecarInfo): Promise<void> {
  if (info.host) await hostRequest(p.root, { op: 'load', vm: p.name });
  else process.kill(info.pid, 'SIGHUP');
}
