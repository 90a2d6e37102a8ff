// `vmmeta host`: the host-mode entry, routed by bin/vmmeta.js before commander loads, like `vmmeta serve`. It
// serves every VM of the state root whose spec says sidecar.mode: host (host.ts), then takes load/unload/status
// requests on the root's 0600 host.sock (host-protocol.ts) from create, update, start, stop and delete. Events
// are JSON lines on stdout; SIGHUP rescans the root; SIGTERM/SIGINT stop every VM's listeners and exit 0.
// Nothing is kept only in memory: a restarted or SIGKILLed host serves every opted-in VM again from its files.
import { createServer, type Server, type Socket } from 'node:net';
import { failEntry, emitEvent } from './entry.js';
import { mkdir } from 'node:fs/promises';
import { resolveStateRoot, hostSocketPath } from '../state/layout.js';
import { listen } from './bind.js';
import { MetadataHost, HostError } from './host.js';
import { parseHostRequest, MAX_REQUEST_BYTES, type HostReply, type HostRequest } from './host-protocol.js';
import { checkStateRoot } from '../state/secure-dir.js';
import { HOST_USAGE, hostHelp } from './usage.js';
import { UnsafeStateError } from '../errors.js';

class UsageError extends Error {}

export function parseHostArgs(argv: string[]): { stateDir?: string; help: boolean; json: boolean } {
  const out: { stateDir?: string; help: boolean; json: boolean } = { help: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const [flag, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    if (flag === '--state-dir') {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError('--state-dir needs a value');
      out.stateDir = v;
    } else if (flag === '-h' || flag === '--help') out.help = true;
    else if (flag === '--json') out.json = true;
    else if (flag === '--no-color') continue;
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else throw new UsageError(`unexpected argument "${arg}" (the host serves every host-mode VM of its root)`);
  }
  return out;
}

function fail(json: boolean, message: string, code: number, hint?: string): never {
  return failEntry('host', json, message, code, hint);
}
const emit = emitEvent;

export async function hostMain(argv: string[]): Promise<void> {
  process.stdout.on('error', () => undefined);
  const json = argv.includes('--json');
  let args: ReturnType<typeof parseHostArgs>;
  try {
    args = parseHostArgs(argv);
  } catch (err) {
    fail(json, (err as Error).message, 2, HOST_USAGE);
  }
  if (args.help) {
    process.stdout.write(hostHelp());
    return;
  }
  const root = resolveStateRoot({ flag: args.stateDir, env: process.env, uid: process.getuid?.() ?? 1000 });
  try {
    await mkdir(root, { recursive: true, mode: 0o711 }); // a host started at boot, before any create
    checkStateRoot(root);
  } catch (err) {
    if (err instanceof UnsafeStateError) fail(args.json, err.message, 1, `hint: ${err.hint}`);
    fail(args.json, (err as Error).message, 1);
  }
  // The socket's own folder as cwd: not the caller's, which a long-lived process would keep busy.
  process.chdir(root);

  const host = new MetadataHost(root, { onEvent: emit });
  let stopping = false;
  const stopped = new Promise<string>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      resolve(signal);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  let rescans = Promise.resolve();
  process.on('SIGHUP', () => {
    rescans = rescans.then(() => host.scan().then((r) => emit({ event: 'rescanned', ...r })));
  });

  // The control socket first: a second host for the same root fails here ("another process is listening"),
  // before it could bind any VM's listener.
  const control = createServer((socket) => serveControl(host, socket));
  try {
    await listen(control, { kind: 'unix', path: hostSocketPath(root) });
  } catch (err) {
    fail(args.json, (err as Error).message, 1);
  }
  const started = Date.now();
  const scanned = await host.scan();
  emit({
    event: 'ready',
    pid: process.pid,
    root,
    control: hostSocketPath(root),
    serving: scanned.serving.length,
    failed: scanned.failed,
    ms: Date.now() - started,
  });

  const signal = await stopped;
  emit({ event: 'stopping', signal });
  // A client that keeps its connection open must not hold the shutdown: close() waits for every connection.
  await Promise.race([closeServer(control), new Promise((r) => setTimeout(r, 2000).unref())]);
  await rescans;
  await host.close();
  emit({ event: 'stopped' });
  process.exit(0);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

// Requests on one connection are answered in order; a line over MAX_REQUEST_BYTES ends the connection.
function serveControl(host: MetadataHost, socket: Socket): void {
  let buffered = '';
  let queue = Promise.resolve();
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    if (buffered.length > MAX_REQUEST_BYTES && !buffered.includes('\n')) {
      socket.end(JSON.stringify({ ok: false, pid: process.pid, error: 'request line too long' }) + '\n');
      buffered = '';
      return;
    }
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      queue = queue.then(async () => {
        const reply = await answer(host, line);
        if (socket.writable) socket.write(JSON.stringify(reply) + '\n');
      });
    }
  });
}

async function answer(host: MetadataHost, line: string): Promise<HostReply> {
  let req: HostRequest;
  try {
    req = parseHostRequest(line);
  } catch (err) {
    return { ok: false, pid: process.pid, error: (err as Error).message };
  }
  try {
    switch (req.op) {
      case 'ping':
        return { ok: true, pid: process.pid };
      case 'status': {
        if (req.vm === undefined) return { ok: true, pid: process.pid, vms: host.status() };
        const vm = host.statusOf(req.vm) ?? { vm: req.vm, state: 'stopped' as const };
        return { ok: true, pid: process.pid, vm };
      }
      case 'load': {
        const vm = await host.load(req.vm, { start: req.start === true });
        return { ok: true, pid: process.pid, vm: vm! };
      }
      case 'unload':
        return { ok: true, pid: process.pid, vm: await host.unload(req.vm, { stop: req.stop === true }) };
    }
  } catch (err) {
    if (err instanceof HostError) return { ok: false, pid: process.pid, error: err.message };
    // A bug must cost one answer, not the host and every VM it serves.
    process.stderr.write(`vmmeta host: internal error on ${line.slice(0, 200)}: ${(err as Error).stack}\n`);
    return { ok: false, pid: process.pid, error: `internal error: ${(err as Error).message}` };
  }
}
