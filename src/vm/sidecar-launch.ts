// Launching a VM's own sidecar process (`vmmeta serve <vm>`, the same binary) and waiting until it answers. Launch
// follows lima's hostagent: detached, cleanup off (execa would otherwise kill it when this command exits), stdio
// to the log, unref'd. Ready means sidecar.json names the child's pid AND an HTTP request answers; a pid file alone
// is not readiness. Every wait is a short sleep with a deadline.
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Options } from 'execa';
import { writeFileAtomic } from '../state/atomic.js';
import { FILES, type VmPaths } from '../state/paths.js';
import { socketPathProblem } from '../state/layout.js';
import { isAlive, readJsonFile, waitForExit } from '../state/pid.js';
import { UserError } from '../errors.js';
import { probeListener, type ProbeResult } from './probe.js';
import { asSidecarInfo, type SidecarInfo } from '../sidecar/files.js';
import { NOFOLLOW_APPEND, isLinkError, plantedLinkError } from '../state/secure-dir.js';

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

export async function probeSidecar(info: SidecarInfo, timeoutMs = 1000): Promise<ProbeResult[]> {
  return Promise.all(info.listen.map((l) => probeListener(l, timeoutMs)));
}

export interface LaunchOptions {
  progress?: (line: string) => void;
  timeoutMs?: number;
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

export async function waitReady(p: VmPaths, pid: number, opts: LaunchOptions): Promise<SidecarInfo> {
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

export async function terminate(pid: number): Promise<boolean> {
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
