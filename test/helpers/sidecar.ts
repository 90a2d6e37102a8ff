// Helpers for sidecar tests: a small hand-built HTTP tree (the real renderer's shape: absolute paths, listings
// under keys ending in "/"), a token key, and raw HTTP over a socket for requests node's client would not send.
import { connect, type Socket } from 'node:net';
import { sortedTree, utf8, stableJson, type FileTree } from '../../src/render/tree.js';
import type { ListenAddress } from '../../src/sidecar/files.js';

export const TEST_UUID = '3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10';
export const TEST_KEY = new Uint8Array(32).fill(7);

// marker lets live-update tests tell two versions of every document apart.
export function handTree(marker = 'v1', opts: { userData?: string; uuid?: string } = {}): FileTree {
  const meta = stableJson({
    uuid: opts.uuid ?? TEST_UUID,
    hostname: `web-${marker}`,
    name: 'web',
    public_keys: { k: `ssh-ed25519 AAAA ${marker}` },
  });
  const userData = opts.userData ?? `#cloud-config\n# ${marker}\n`;
  const entries: [string, string][] = [
    ['/', '2009-04-04/\nlatest/\n'],
    ['/openstack/', '2013-04-04\n2018-08-27\nlatest\n'],
    ['/openstack/2012-08-10/', 'meta_data.json\nuser_data\n'],
    ['/openstack/2012-08-10/meta_data.json', meta],
    ['/openstack/2012-08-10/user_data', userData],
    [
      '/openstack/2018-08-27/',
      'meta_data.json\nnetwork_data.json\npassword\nuser_data\nvendor_data.json\nvendor_data2.json\n',
    ],
    ['/openstack/2018-08-27/meta_data.json', meta],
    ['/openstack/2018-08-27/network_data.json', stableJson({ links: [], networks: [], services: [], marker })],
    ['/openstack/2018-08-27/user_data', userData],
    ['/openstack/2018-08-27/vendor_data.json', stableJson({ marker })],
    ['/openstack/2018-08-27/vendor_data2.json', stableJson({ static: { marker } })],
    [
      '/openstack/latest/',
      'meta_data.json\nnetwork_data.json\npassword\nuser_data\nvendor_data.json\nvendor_data2.json\n',
    ],
    ['/openstack/latest/meta_data.json', meta],
    ['/openstack/latest/network_data.json', stableJson({ links: [], networks: [], services: [], marker })],
    ['/openstack/latest/user_data', userData],
    ['/openstack/latest/vendor_data.json', stableJson({ marker })],
    ['/openstack/latest/vendor_data2.json', stableJson({ static: { marker } })],
  ];
  for (const v of ['2009-04-04', 'latest']) {
    entries.push(
      [`/${v}/`, 'meta-data/\nuser-data\n'],
      [`/${v}/user-data`, userData],
      [`/${v}/meta-data/`, 'hostname\ninstance-id\nlocal-hostname\npublic-keys/\n'],
      [`/${v}/meta-data/hostname`, `web-${marker}`],
      [`/${v}/meta-data/instance-id`, `i-${marker}`],
      [`/${v}/meta-data/local-hostname`, `web-${marker}`],
      [`/${v}/meta-data/public-keys/`, '0=k'],
      [`/${v}/meta-data/public-keys/0/`, 'openssh-key'],
      [`/${v}/meta-data/public-keys/0/openssh-key`, `ssh-ed25519 AAAA ${marker}`],
    );
  }
  return sortedTree(entries.map(([p, t]) => [p, utf8(t)]));
}

export interface RawResult {
  data: Buffer;
  closed: boolean;
}

// Writes raw bytes (in pieces, optionally spaced out) and collects what comes back until the server closes or
// `waitMs` of silence passes.
export function rawExchange(
  addr: ListenAddress,
  pieces: (string | Buffer)[],
  opts: { gapMs?: number; waitMs?: number; end?: boolean } = {},
): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const sock: Socket = addr.kind === 'unix' ? connect(addr.path) : connect(addr.port, addr.host);
    const chunks: Buffer[] = [];
    let idle: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(idle);
      sock.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => finish(false), opts.waitMs ?? 1500);
    };
    sock.on('data', (d) => {
      chunks.push(d);
      arm();
    });
    sock.on('close', () => finish(true));
    sock.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNRESET' || err.code === 'EPIPE' ? finish(true) : reject(err),
    );
    sock.on('connect', async () => {
      for (const p of pieces) {
        if (sock.destroyed) break;
        sock.write(p);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
      if (opts.end) sock.end();
      arm();
    });
  });
}

// Status codes of every HTTP response in a raw byte stream (pipelined answers come back in order).
export function statusCodes(data: Buffer): number[] {
  return [...data.toString('latin1').matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
}

// ── running `vmmeta serve` as the CLI does: a state folder, then the real binary ──
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { encodeServed, type ServedMeta } from '../../src/sidecar/served.js';
import { newSecrets } from '../../src/state/secrets.js';

export const VMMETA_BIN = fileURLToPath(new URL('../../../bin/vmmeta.js', import.meta.url));

export function writeVmState(root: string, vm: string, tree: FileTree, meta: Partial<ServedMeta> = {}): string {
  const dir = joinPath(root, vm);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(
    joinPath(dir, 'served.json'),
    encodeServed(tree, { vm, uuid: TEST_UUID, imds: { tokens: 'optional' }, ...meta }),
    { mode: 0o600 },
  );
  writeFileSync(joinPath(dir, 'secrets.json'), newSecrets(), { mode: 0o600 });
  return dir;
}

export interface ServeProcess {
  child: ChildProcess;
  // serve: its listeners; host: how many VMs it serves and which failed
  ready: { pid: number; listen: ListenAddress[]; serving?: number; failed?: string[] };
  events: Record<string, unknown>[]; // every stdout JSON line so far
  nextEvent(name: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stderr(): string;
  exit: Promise<number | null>;
}

// Spawns `node bin/vmmeta.js serve <vm> ...` and resolves on its ready event (rejects with its stderr if it exits).
export function spawnServe(
  root: string,
  vm: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  return spawnVmmeta(['serve', vm, '--state-dir', root, ...args], env);
}

// `vmmeta host --state-dir <root>`: its ready event comes once every opted-in VM of the root is served.
export function spawnHost(root: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  return spawnVmmeta(['host', '--state-dir', root], env);
}

function spawnVmmeta(argv: string[], env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(process.execPath, [VMMETA_BIN, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const events: Record<string, unknown>[] = [];
  const waiters: { name: string; resolve: (e: Record<string, unknown>) => void }[] = [];
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as Record<string, unknown>;
    events.push(e);
    for (const w of waiters.splice(0)) w.name === e.event ? w.resolve(e) : waiters.push(w);
  });
  const nextEvent = (name: string, timeoutMs = 10_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`no ${name} event within ${timeoutMs} ms; stderr: ${err}`)),
        timeoutMs,
      );
      waiters.push({ name, resolve: (e) => (clearTimeout(t), resolve(e)) });
    });
  return new Promise((resolve, reject) => {
    exit.then((code) => reject(new Error(`vmmeta ${argv[0]} exited with ${code}: ${err}`)));
    nextEvent('ready', 30_000).then(
      (e) => resolve({ child, ready: e as ServeProcess['ready'], events, nextEvent, stderr: () => err, exit }),
      reject,
    );
  });
}

// A TCP front for a sidecar's Unix socket, in its own process (client tests call Python synchronously, which
// blocks this one). It stands in for QEMU's guestfwd connector: cloud-init's readers speak TCP, and what reaches
// the sidecar arrives on the socket, the guest's path, so token PUTs and password POSTs work as in a guest.
const BRIDGE = `const net = require('node:net');
const s = net.createServer((c) => { const u = net.connect(process.argv[1]); c.pipe(u).pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); });
s.listen(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));`;

export async function spawnSocketBridge(socketPath: string): Promise<{ url: string; close(): void }> {
  const child = spawn(process.execPath, ['-e', BRIDGE, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (l) => resolve(Number(l)));
    child.once('exit', (code) => reject(new Error(`socket bridge exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}`, close: () => child.kill('SIGTERM') };
}
