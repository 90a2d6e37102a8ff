// Starting, stopping, reloading and reading the status of a VM's sidecar: its own process (sidecar-launch.ts),
// or in host mode the state root's `vmmeta host`, asked over its control socket (host-client.ts).
import { rm } from 'node:fs/promises';
import type { VmPaths } from '../state/paths.js';
import { isSidecarProcess, readJsonFile } from '../state/pid.js';
import { UserError } from '../errors.js';
import { asSidecarInfo, type SidecarInfo } from '../sidecar/files.js';
import { HostNotRunning, hostRequest } from './host-client.js';
import { launchSidecar, probeSidecar, terminate, waitReady, type LaunchOptions } from './sidecar-launch.js';

export { launchEarly, probeSidecar, type EarlySidecar, type LaunchOptions } from './sidecar-launch.js';

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
