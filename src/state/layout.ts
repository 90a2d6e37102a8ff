// Where a VM's state lives and what its files are called: node:path only, so the lean sidecar and state/ both
// build on it.
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';

export interface StateRootInput {
  flag?: string | undefined;
  env: Record<string, string | undefined>;
  uid: number;
  home?: string;
}

// --state-dir > $VMMETA_STATE_DIR > /var/lib/vmmeta as root > $XDG_STATE_HOME/vmmeta > ~/.local/state/vmmeta.
// A relative --state-dir or $VMMETA_STATE_DIR is made absolute here, once: the sidecar runs with its VM folder as
// cwd, and its socket path must be absolute for QEMU's guestfwd connector.
export function resolveStateRoot(input: StateRootInput): string {
  if (input.flag) return resolve(input.flag);
  if (input.env.VMMETA_STATE_DIR) return resolve(input.env.VMMETA_STATE_DIR);
  if (input.uid === 0) return '/var/lib/vmmeta';
  if (input.env.XDG_STATE_HOME) return join(resolve(input.env.XDG_STATE_HOME), 'vmmeta');
  return join(input.home ?? homedir(), '.local', 'state', 'vmmeta');
}

// The files of $root/<vm>/ that the sidecar reads or writes.
export const SIDECAR_FILES = {
  served: 'served.json', // read at start and on SIGHUP
  secrets: 'secrets.json', // read at start: the IMDSv2 token key
  password: 'password', // 0600, written once when a guest POSTs /openstack/<ver>/password
  sidecarJson: 'sidecar.json', // written after listen succeeds, removed on a clean stop
  sidecarSock: 'sidecar.sock', // at most UNIX_PATH_MAX bytes in all (socketPathProblem)
  accessLog: 'access.ndjson', // one JSON line per request, capped (see access-log.ts)
  sidecarLog: 'sidecar.log', // the sidecar's stdout and stderr; in host mode, the host's lines about this VM
  // { pid, launchedAt } of the sidecar the CLI launched; `serve --await-launch` waits until it names its own pid.
  sidecarLaunch: 'sidecar.launch',
  // Host mode: `vmmeta stop` left this VM stopped, so a restarted `vmmeta host` does not serve it again.
  hostStopped: 'sidecar.stopped',
} as const;

// Host mode: the state root's `vmmeta host` process takes requests (load, unload, status) on this 0600 socket.
const HOST_SOCKET = 'host.sock';

export function hostSocketPath(root: string): string {
  return join(root, HOST_SOCKET);
}

// sun_path holds 108 bytes on Linux, the NUL included (unix(7)): a state root deeper than ~80 characters cannot
// host the socket. The one check, for create (the guestfwd connector), start and the sidecar's bind.
export const UNIX_PATH_MAX = 107;

export function socketPathProblem(path: string): string | undefined {
  const bytes = Buffer.byteLength(path);
  return bytes > UNIX_PATH_MAX
    ? `the socket path ${path} is ${bytes} bytes; a Unix socket path holds at most ${UNIX_PATH_MAX}`
    : undefined;
}

export type SidecarPaths = { dir: string } & { [K in keyof typeof SIDECAR_FILES]: string };

export function sidecarPaths(root: string, vm: string): SidecarPaths {
  const dir = join(root, vm);
  const out: Record<string, string> = { dir };
  for (const [key, file] of Object.entries(SIDECAR_FILES)) out[key] = join(dir, file);
  return out as SidecarPaths;
}

// Same rule as the spec's vmNameSchema; checked here so a bad name can never address a path outside the root.
export function isVmName(name: string): boolean {
  return /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(name);
}
