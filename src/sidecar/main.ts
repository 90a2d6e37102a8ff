// `vmmeta serve <vm>`: the sidecar entry, loaded by bin/vmmeta.js before commander, zod or chalk exist, so it
// imports only node:* and src/sidecar/* (test/unit/sidecar/lean.test.ts checks). Like lima's hostagent it reports
// on stdout as JSON lines ({"event":"ready",...}); errors are one line on stderr and exit 1 (2 for usage).
// sidecar.json is written only after every listener is bound: its presence means the sidecar answers.
import { rm } from 'node:fs/promises';
import { failEntry, emitEvent } from './entry.js';
import { resolveStateRoot, sidecarPaths, isVmName, type SidecarPaths } from '../state/layout.js';
import { loadServed, type Served } from './served.js';
import { encodeSidecarInfo, decodeSidecarInfo } from './files.js';
import { loadTokenKey } from '../state/secrets.js';
import { writeFileAtomic } from '../state/atomic.js';
import { parseListen } from './listen.js';
import { startSidecar, type RunningSidecar } from './server.js';
import { SERVE_USAGE as USAGE, serveHelp } from './usage.js';
import { checkVmState, readNoFollow } from '../state/secure-dir.js';
import { UnsafeStateError } from '../errors.js';

// Only the 0600 socket: a TCP port on loopback is open to every local user, so it is always asked for by name.
const DEFAULT_LISTEN = ['unix'];

export interface ServeArgs {
  vm: string;
  stateDir?: string;
  listen: string[];
  allowAll: boolean;
  // create starts the sidecar before the VM folder exists (vm/sidecar-control.ts launchEarly) and names itself
  awaitLaunch?: number;
  help: boolean;
  json: boolean; // the global --json: a failure is one JSON document on stdout, as every command prints it
}

export function parseServeArgs(argv: string[]): ServeArgs {
  const out: ServeArgs = { vm: '', listen: [], allowAll: false, help: false, json: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--state-dir') out.stateDir = value();
    else if (flag === '--listen') out.listen.push(value());
    else if (flag === '--allow-all-interfaces') out.allowAll = true;
    else if (flag === '--await-launch') {
      const v = value();
      if (!/^[1-9]\d*$/.test(v)) throw new UsageError(`--await-launch needs the launching process's pid, not "${v}"`);
      out.awaitLaunch = Number(v);
    } else if (flag === '-h' || flag === '--help') out.help = true;
    // The global flags mean the same here as for every command: serve writes no colour, and its stdout is JSON
    // event lines already, so --json changes only how a failure is reported.
    else if (flag === '--json') out.json = true;
    else if (flag === '--no-color') continue;
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  if (out.help) return out;
  if (positional.length !== 1)
    throw new UsageError(positional.length ? `one VM name expected, got ${positional.length}` : 'missing VM name');
  out.vm = positional[0]!;
  if (!isVmName(out.vm)) throw new UsageError(`"${out.vm}" is not a VM name`);
  return out;
}

class UsageError extends Error {}
class ServeError extends Error {}

function fail(json: boolean, message: string, code: number, hint?: string): never {
  return failEntry('serve', json, message, code, hint);
}
const emit = emitEvent;

export async function serveMain(argv: string[]): Promise<void> {
  process.stdout.on('error', () => undefined); // a launcher that closed our stdout must not kill us
  let args: ServeArgs;
  const json = argv.includes('--json');
  try {
    args = parseServeArgs(argv);
  } catch (err) {
    fail(json, (err as Error).message, 2, USAGE);
  }
  if (args.help) {
    process.stdout.write(serveHelp());
    return;
  }
  try {
    await serve(args);
  } catch (err) {
    if (!(err instanceof ServeError)) throw err; // a bug: node prints the stack
    fail(args.json, err.message, 1);
  }
}

async function load(paths: SidecarPaths, vm: string): Promise<Served> {
  let served: Served;
  try {
    served = await loadServed(paths.served);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ServeError(
      e.code === 'ENOENT' ? `no VM "${vm}": ${paths.served} is missing (run vmmeta create first)` : e.message,
    );
  }
  if (served.vm !== vm) throw new ServeError(`${paths.served} belongs to VM "${served.vm}", not "${vm}"`);
  // Two processes serving one VM would fight over its socket and each hold its own password.
  if (served.host)
    throw new ServeError(
      `${vm} is in host mode (sidecar.mode: host): the state root's \`vmmeta host\` serves it; start it with vmmeta start ${vm}`,
    );
  return served;
}

// The launch record names this process once create's rename has put the VM folder in place. A create that
// failed or lost a race never renames its folder, and kills us; one that was killed itself is noticed by our
// parent no longer being the create that named itself on our command line (we were reparented, perhaps before
// this process even started). The deadline is only a backstop: a create on a loaded host (50 at once on two
// cores) can take longer than a minute to reach its commit, and must still find its sidecar waiting.
const AWAIT_LAUNCH_MS = 600_000;
const AWAIT_POLL_MS = 5;
async function awaitLaunch(paths: SidecarPaths, vm: string, launcher: number): Promise<void> {
  const deadline = Date.now() + AWAIT_LAUNCH_MS;
  for (;;) {
    const text = await readNoFollow(paths.sidecarLaunch, 'utf8').catch(() => '');
    try {
      if ((JSON.parse(text) as { pid?: unknown }).pid === process.pid) return;
    } catch {
      // not there yet, or being replaced
    }
    if (process.ppid !== launcher)
      throw new ServeError(`the create that launched this sidecar (pid ${launcher}) ended before ${vm} was created`);
    if (Date.now() > deadline)
      throw new ServeError(`${vm} was not created within ${AWAIT_LAUNCH_MS / 1000} s of this sidecar's launch`);
    await new Promise((r) => setTimeout(r, AWAIT_POLL_MS));
  }
}

async function serve(args: ServeArgs): Promise<void> {
  const root = resolveStateRoot({ flag: args.stateDir, env: process.env, uid: process.getuid?.() ?? 1000 });
  const paths = sidecarPaths(root, args.vm);
  if (args.awaitLaunch !== undefined) await awaitLaunch(paths, args.vm, args.awaitLaunch);
  try {
    checkVmState(root, args.vm); // the libvirt hook runs us as root: never inside a folder another user controls
  } catch (err) {
    if (err instanceof UnsafeStateError) throw new ServeError(`${err.message}\nhint: ${err.hint}`);
    throw err;
  }
  const served = await load(paths, args.vm);
  // Its own folder as working directory (as `vmmeta start` launches it; systemd may not): the socket is bound
  // relative to it (bind.ts), and the caller's folder is not kept busy.
  try {
    process.chdir(paths.dir);
  } catch {
    // served.json was readable, so the folder exists; a chdir failure only loses the relative bind
  }
  const tokenKey = await loadTokenKey(paths.secrets).catch((err: NodeJS.ErrnoException) => {
    throw new ServeError(err.code === 'ENOENT' ? `${paths.secrets} is missing (vmmeta create writes it)` : err.message);
  });
  const password = await readNoFollow(paths.password, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new ServeError(err.message);
  });
  let listen;
  try {
    // The spec's own listeners carry the spec's allowAllInterfaces; --listen takes the flag.
    const allowAll = args.listen.length ? args.allowAll : args.allowAll || served.allowAllInterfaces === true;
    listen = (args.listen.length ? args.listen : (served.listen ?? DEFAULT_LISTEN)).map((l) =>
      parseListen(l, { socketPath: paths.sidecarSock, allowAll }),
    );
  } catch (err) {
    throw new ServeError(`listen ${(err as Error).message}`);
  }
  // Signal handlers go in before anything is bound: a SIGHUP from `update` or a SIGTERM from `stop` may arrive
  // while we start, and the default action would kill us half-way.
  let sidecar: RunningSidecar | undefined;
  let stopRequested = false;
  let reloads = 0;
  const reload = () => {
    const seq = ++reloads; // two quick SIGHUPs: only the later read may win
    load(paths, args.vm).then(
      (next) => {
        if (seq !== reloads || !sidecar) return;
        sidecar.reload(next);
        emit({ event: 'reloaded', files: next.tree.size });
      },
      (err: Error) => {
        emit({ event: 'reload-failed', error: err.message });
        process.stderr.write(`vmmeta serve: reload failed, still serving the previous documents: ${err.message}\n`);
      },
    );
  };
  process.on('SIGHUP', () => (sidecar ? reload() : reloads++));
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.removeAllListeners('SIGTERM');
      process.removeAllListeners('SIGINT');
      stopRequested = true;
      emit({ event: 'stopping', signal });
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

  try {
    sidecar = await startSidecar({
      served,
      tokenKey,
      listen,
      password,
      passwordFile: paths.password,
      accessLog: paths.accessLog,
      onError: (m) => process.stderr.write(`vmmeta serve: ${m}\n`),
    });
  } catch (err) {
    throw new ServeError((err as Error).message);
  }
  if (reloads > 0) reload(); // served.json changed while we were starting
  if (!stopRequested) {
    const startedAt = new Date().toISOString();
    await writeFileAtomic(
      paths.sidecarJson,
      encodeSidecarInfo({ pid: process.pid, startedAt, listen: sidecar.addresses }),
      { mode: 0o600 },
    );
    emit({ event: 'ready', vm: args.vm, pid: process.pid, listen: sidecar.addresses, files: served.tree.size });
  }
  await stopped;
  await sidecar.close();
  // Only our own sidecar.json: a replacement sidecar may already have written its own.
  const info = await readNoFollow(paths.sidecarJson, 'utf8').then(decodeSidecarInfo, () => undefined);
  if (info?.pid === process.pid) await rm(paths.sidecarJson, { force: true });
  // Access log lines that never reached the disk (its queue was full): 0 unless the disk stalled under load.
  emit({ event: 'stopped', accessLogDropped: sidecar.accessLog?.dropped ?? 0 });
  process.exit(0);
}
