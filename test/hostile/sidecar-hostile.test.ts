// Hostile traffic against a real `vmmeta serve` process, and against a VM of a real `vmmeta host`: 1500 seeded random requests — mutated paths (traversal,
// encodings, NUL, backslashes, long segments), wrong methods, junk token/TTL/XFF headers, oversize headers and
// bodies, pipelined and truncated requests, raw random bytes. The sidecar must never crash or answer 5xx, every
// 200 body must be one of the VM's documents (or a token, or a password this test posted), and its resident
// memory must stay roughly flat.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ListenAddress } from '../../src/sidecar/files.js';
import { handTree, spawnHost, spawnServe, writeVmState, rawExchange } from '../helpers/sidecar.js';

const tree = handTree('v1');
const documents = new Set([...tree.values()].map((b) => Buffer.from(b).toString('latin1')));
const posted = new Set<string>(['']);
const TOKEN = /^[A-Za-z0-9_-]{32}$/;

// mulberry32: a seeded generator, so a failure can be replayed from the seed in its message.
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = Number(process.env.VMMETA_FUZZ_SEED ?? 20261125);
const rand = rng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const keys = [...tree.keys()];
const NASTY = [
  '..',
  '%2e%2e',
  '%2E%2E%2F',
  '.%2e',
  '%00',
  '%5c',
  '\\',
  '%',
  '%zz',
  '%c3%28',
  '.',
  '//',
  '%252e%252e',
  '~',
  'ä',
  '%ff',
  ';',
  '?a=..',
  '#frag',
  'a'.repeat(300),
  '%2f',
  '/etc/passwd',
  '..%2f..%2f',
];

function mutatePath(): string {
  let p = pick(keys);
  const n = Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const cut = Math.floor(rand() * (p.length + 1));
    p = p.slice(0, cut) + pick(NASTY) + (rand() < 0.5 ? '/' : '') + p.slice(cut);
  }
  if (rand() < 0.03) p = '/' + 'x'.repeat(1000 + Math.floor(rand() * 3000));
  return p;
}

function junkHeaders(): Record<string, string> {
  const h: Record<string, string> = {};
  if (rand() < 0.3)
    h['x-aws-ec2-metadata-token'] = pick(['', 'AAAA', 'x'.repeat(32), 'A'.repeat(32), 'ü']).replace('ü', '%C3%BC');
  if (rand() < 0.3)
    h['x-aws-ec2-metadata-token-ttl-seconds'] = pick(['0', '1', '21600', '21601', '-5', 'abc', '1e3', ' 60 ']);
  if (rand() < 0.1) h['x-forwarded-for'] = '10.0.0.1';
  if (rand() < 0.1) h['x-metadata-token'] = 'bogus';
  if (rand() < 0.03) h['x-pad'] = 'p'.repeat(9000);
  return h;
}

interface Answer {
  status: number;
  body: Buffer;
}

function httpRequest(
  addr: ListenAddress,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const target = addr.kind === 'unix' ? { socketPath: addr.path } : { host: addr.host, port: addr.port };
    let req;
    try {
      req = request({ ...target, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
        res.on('error', () => resolve(undefined));
      });
    } catch {
      return resolve(undefined); // node's client refused to build it (invalid characters): nothing was sent
    }
    req.on('error', () => resolve(undefined)); // the server may cut a bad request off: fine, as long as it lives
    req.end(body);
  });
}

// Splits a raw stream of (non-HEAD) responses into status + body.
function parseResponses(data: Buffer): Answer[] {
  const out: Answer[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) return out;
    const head = data.subarray(at, end).toString('latin1');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    out.push({ status, body: data.subarray(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
}

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

// Host mode (one `vmmeta host` serving this VM and a neighbour) takes the same flood on the VM's own listeners:
// nothing the neighbour serves may come back, and the neighbour must still answer its own documents after it.
const neighbour = handTree('neighbour');
for (const mode of ['serve', 'host'] as const)
  test(`${mode}: 1500 hostile requests (seed ${SEED}): no crash, no 5xx, nothing outside the VM's documents, flat memory`, async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'vmmeta-hostile-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    // Both kinds of listener take the flood: the socket (the default) and an explicit loopback port.
    writeVmState(root, 'web', tree, { listen: ['unix', '127.0.0.1:0'], host: mode === 'host' });
    if (mode === 'host') writeVmState(root, 'nb', neighbour, { listen: ['127.0.0.1:0'], host: true });
    const sp = mode === 'host' ? await spawnHost(root) : await spawnServe(root, 'web');
    const sidecarJson = (vm: string) =>
      JSON.parse(readFileSync(join(root, vm, 'sidecar.json'), 'utf8')) as { pid: number; listen: ListenAddress[] };
    const [unix, tcp] = sidecarJson('web').listen as [ListenAddress, ListenAddress];
    assert.deepEqual([unix.kind, tcp.kind], ['unix', 'tcp']);
    const pid = sp.ready.pid;
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    const check = (what: string, a: Answer) => {
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      if (!(a.status >= 200 && a.status < 500)) problems.push(`${what}: status ${a.status}`);
      const body = a.body.toString('latin1');
      if (a.status === 200 && !documents.has(body) && !TOKEN.test(body) && !posted.has(body))
        problems.push(`${what}: 200 with a foreign body ${JSON.stringify(body.slice(0, 80))}`);
    };

    const one = async (i: number) => {
      const addr = i % 2 ? tcp : unix;
      const kind = rand();
      if (kind < 0.6) {
        const method = pick(['GET', 'GET', 'GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE']);
        const path = mutatePath();
        let body: Buffer | undefined;
        if (method === 'POST' || method === 'PUT') body = Buffer.alloc(Math.floor(rand() * 6000), 'p');
        if (method === 'POST' && body && body.length <= 1020) posted.add(body.toString('latin1'));
        const a = await httpRequest(addr, method, path.startsWith('/') ? path : '/' + path, junkHeaders(), body);
        if (a) check(`${method} ${path.slice(0, 80)}`, a);
      } else if (kind < 0.8) {
        // Pipelined GETs in one write: answers come back in order, each checked.
        const n = 2 + Math.floor(rand() * 4);
        const reqs = Array.from(
          { length: n },
          () => `GET ${mutatePath().replace(/[\s]/g, '')} HTTP/1.1\r\nHost: x\r\n\r\n`,
        );
        const raw = await rawExchange(addr, [reqs.join('')], { waitMs: 300 });
        for (const a of parseResponses(raw.data)) check(`pipelined ${n}`, a);
      } else {
        const garbage = [
          () => Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 600) }, () => Math.floor(rand() * 256))),
          () => `GET ${pick(keys)} HTTP/1.1\r\nHost: x\r\n`.slice(0, Math.floor(rand() * 30)), // truncated, then closed
          () => `${pick(['GE T', 'G\0T', 'BREW', 'get', ''])} / HTTP/1.1\r\n\r\n`,
          () => `GET / HTTP/9.9\r\n\r\n`,
          () => `GET /\r\n\r\n`,
          () => `POST /openstack/latest/password HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
          () => `POST /openstack/latest/password HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef`,
          () => `GET / HTTP/1.1\r\n${'X: y\r\n'.repeat(3000)}\r\n`,
          () => `GET / HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(50),
          () => `POST /openstack/latest/password HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc`, // body cut short
          () =>
            `PUT /latest/api/token HTTP/1.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab`,
        ];
        const payload = pick(garbage)();
        const raw = await rawExchange(addr, [payload], { waitMs: 300, end: rand() < 0.5 });
        for (const m of raw.data.toString('latin1').matchAll(/HTTP\/1\.1 (\d{3}) /g)) {
          const status = Number(m[1]);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status >= 500) problems.push(`garbage: status ${status}`);
        }
      }
    };

    // Warm up first so the RSS baseline includes the JIT and buffers a normal load creates.
    for (let i = 0; i < 100; i++) await one(i);
    const baseline = rssKb(pid);
    const total = 1500;
    for (let i = 0; i < total; i += 25) await Promise.all(Array.from({ length: 25 }, (_, j) => one(i + j)));
    const after = rssKb(pid);

    assert.deepEqual(problems, [], `seed ${SEED}`);
    assert.equal(sp.child.exitCode, null, 'the sidecar is still running');
    const ok = await httpRequest(tcp, 'GET', '/openstack/latest/meta_data.json', {});
    assert.equal(ok?.status, 200);
    assert.ok(after - baseline < 30 * 1024, `RSS grew from ${baseline} kB to ${after} kB`);
    const seen = Object.fromEntries([...statuses].sort(([a], [b]) => a - b));
    for (const s of [200, 400, 404, 405, 413, 414, 431])
      assert.ok(statuses.has(s), `status ${s} never produced: ${JSON.stringify(seen)}`);
    if (mode === 'host') {
      const nb = await httpRequest(sidecarJson('nb').listen[0]!, 'GET', '/openstack/latest/meta_data.json', {});
      assert.equal(nb?.body.toString(), Buffer.from(neighbour.get('/openstack/latest/meta_data.json')!).toString());
    }
    process.stdout.write(`# ${mode}: statuses ${JSON.stringify(seen)}; RSS ${baseline} -> ${after} kB\n`);
    sp.child.kill('SIGTERM');
    assert.equal(await sp.exit, 0);
  });
