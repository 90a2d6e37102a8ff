// The server in-process on real sockets: 127.0.0.1 port 0 and a Unix socket, with short limits so the slow-client
// cases run in seconds.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { request, Agent } from 'node:http';
import { mkdtempSync, statSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startSidecar, type RunningSidecar } from '../../src/sidecar/server.js';
import type { ListenAddress } from '../../src/sidecar/files.js';
import { handTree, TEST_KEY, TEST_UUID, rawExchange, statusCodes } from '../helpers/sidecar.js';

const dir = mkdtempSync(join(tmpdir(), 'vmmeta-sc-'));
const served = { vm: 'web', uuid: TEST_UUID, imds: { tokens: 'optional' as const }, tree: handTree('v1') };
const running: RunningSidecar[] = [];
after(async () => {
  for (const r of running) await r.close(100);
});

async function start(name: string, extra: Partial<Parameters<typeof startSidecar>[0]> = {}) {
  const sc = await startSidecar({
    served,
    tokenKey: TEST_KEY,
    listen: [
      { kind: 'tcp', host: '127.0.0.1', port: 0 },
      { kind: 'unix', path: join(dir, `${name}.sock`) },
    ],
    accessLog: join(dir, `${name}.ndjson`),
    passwordFile: join(dir, `${name}.password`),
    limits: { headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 1000 },
    ...extra,
  });
  running.push(sc);
  return sc;
}

function get(
  addr: ListenAddress,
  path: string,
  opts: { method?: string; agent?: Agent; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<{ status: number; body: Buffer; headers: Record<string, unknown>; localPort: number | undefined }> {
  return new Promise((resolve, reject) => {
    const target = addr.kind === 'unix' ? { socketPath: addr.path } : { host: addr.host, port: addr.port };
    const req = request(
      { ...target, path, method: opts.method ?? 'GET', agent: opts.agent, headers: opts.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            body: Buffer.concat(chunks),
            headers: res.headers,
            localPort: res.socket?.localPort,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

test('serves the tree on TCP port 0 and on a 0600 Unix socket', async () => {
  const sc = await start('a');
  const [tcp, unix] = sc.addresses as [ListenAddress & { kind: 'tcp' }, ListenAddress & { kind: 'unix' }];
  assert.ok(tcp.port > 0);
  assert.equal(statSync(unix.path).mode & 0o777, 0o600);
  for (const addr of [tcp, unix]) {
    const res = await get(addr, '/openstack/latest/meta_data.json');
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(res.body), served.tree.get('/openstack/latest/meta_data.json'));
    assert.equal(res.headers['content-type'], 'application/json');
  }
});

test('keep-alive: many requests reuse one connection', async () => {
  const sc = await start('b');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const ports = new Set<number | undefined>();
  for (let i = 0; i < 25; i++)
    ports.add((await get(sc.addresses[0]!, '/latest/meta-data/instance-id', { agent })).localPort);
  agent.destroy();
  assert.equal(ports.size, 1);
});

test('HEAD answers headers only; 431 for oversize headers, 414 for long URLs, 413 for big bodies', async () => {
  const sc = await start('c');
  const tcp = sc.addresses[0]!;
  const head = await rawExchange(tcp, [
    'HEAD /openstack/latest/meta_data.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  ]);
  const text = head.data.toString('latin1');
  const length = Number(/content-length: (\d+)/i.exec(text)![1]);
  assert.equal(length, served.tree.get('/openstack/latest/meta_data.json')!.byteLength);
  assert.ok(text.endsWith('\r\n\r\n'), 'no body after the headers');
  const big = await rawExchange(tcp, [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`]);
  assert.deepEqual(statusCodes(big.data), [431]);
  assert.equal((await get(tcp, '/' + 'a'.repeat(3000))).status, 414);
  const post = await get(tcp, '/openstack/latest/password', { method: 'POST', body: Buffer.alloc(5000, 65) });
  assert.equal(post.status, 413);
  assert.equal(
    Buffer.from(post.body).toString('utf8'),
    '413 Payload Too Large\n',
    'the server-level refusal body is pinned too',
  );
  const chunked = await rawExchange(tcp, [
    `POST /openstack/latest/password HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1400\r\n${'a'.repeat(0x1400)}\r\n0\r\n\r\n`,
  ]);
  assert.deepEqual(statusCodes(chunked.data), [413]);
  await sc.accessLog!.flush();
  const logged = readFileSync(join(dir, 'c.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    logged.map((l) => [l.method, l.status]),
    [
      ['HEAD', 200],
      ['', 431],
      ['GET', 414],
      ['POST', 413],
      ['POST', 413],
    ],
  );
});

test('slow clients are cut off: trickled headers and silent connections', async () => {
  const sc = await start('d');
  const t0 = Date.now();
  const trickle = await rawExchange(
    sc.addresses[0]!,
    ['GET / HTTP/1.1\r\n', ...Array.from({ length: 20 }, (_, i) => `X-${i}: y\r\n`)],
    { gapMs: 300, waitMs: 6000 },
  );
  assert.ok(trickle.closed, 'connection closed by the server');
  assert.ok(Date.now() - t0 < 5000, `cut off after ${Date.now() - t0} ms`);
  assert.deepEqual(statusCodes(trickle.data), [408]);
  const t1 = Date.now();
  const silent = await rawExchange(sc.addresses[1]!, [], { waitMs: 6000 });
  assert.ok(silent.closed && Date.now() - t1 < 5000, `silent connection closed after ${Date.now() - t1} ms`);
});

test('password POST is stored once in a 0600 file; access log has one JSON line per request, naming listener and peer', async () => {
  const sc = await start('e');
  const [tcp, unix] = sc.addresses as [ListenAddress & { kind: 'tcp' }, ListenAddress & { kind: 'unix' }];
  assert.equal(
    (await get(unix, '/openstack/latest/password', { method: 'POST', body: Buffer.from('s3cret') })).status,
    200,
  );
  assert.equal(
    (await get(unix, '/openstack/2018-08-27/password', { method: 'POST', body: Buffer.from('other') })).status,
    409,
  );
  const read = await get(tcp, '/openstack/latest/password');
  assert.equal(read.body.toString(), 's3cret');
  const file = join(dir, 'e.password');
  assert.equal(readFileSync(file, 'utf8'), 's3cret');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const token = (
    await get(unix, '/latest/api/token', { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '30' } })
  ).body.toString();
  await get(unix, '/latest/meta-data/', { headers: { 'x-aws-ec2-metadata-token': token } });
  await sc.accessLog!.flush();
  const lines = readFileSync(join(dir, 'e.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 5);
  assert.deepEqual(Object.keys(lines[0]).sort(), [
    'bytes',
    'listener',
    'method',
    'ms',
    'path',
    'peer',
    'status',
    'time',
    'token',
  ]);
  assert.deepEqual(
    lines.map((l) => l.status),
    [200, 409, 200, 200, 200],
  );
  assert.deepEqual(
    lines.map((l) => l.token),
    [false, false, false, false, true],
  );
  assert.equal(lines[0].listener, `unix:${unix.path}`);
  assert.equal(lines[0].peer, 'unix');
  assert.equal(lines[2].listener, `127.0.0.1:${tcp.port}`);
  assert.match(lines[2].peer, /^127\.0\.0\.1:\d+$/);
  assert.equal(lines[2].bytes, 6);
});

test('a loopback listener refuses the password POST and the token PUT: every local user can reach it', async () => {
  const sc = await start('h');
  const [tcp, unix] = sc.addresses as [ListenAddress & { kind: 'tcp' }, ListenAddress & { kind: 'unix' }];
  const post = await get(tcp, '/openstack/latest/password', { method: 'POST', body: Buffer.from('hijack') });
  assert.equal(post.status, 403);
  assert.match(post.body.toString(), /only the guest may do this/);
  assert.equal(existsSync(join(dir, 'h.password')), false);
  const put = await get(tcp, '/latest/api/token', {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '30' },
  });
  assert.equal(put.status, 403);
  assert.equal((await get(tcp, '/openstack/latest/meta_data.json')).status, 200); // reads: the operator chose to share them
  // The guest's own POST still works afterwards.
  assert.equal(
    (await get(unix, '/openstack/latest/password', { method: 'POST', body: Buffer.from('guest') })).status,
    200,
  );
  assert.equal(readFileSync(join(dir, 'h.password'), 'utf8'), 'guest');
});

test('the access log stays bounded: rotated to .1 past maxBytes', async () => {
  const sc = await start('f', { accessLogMaxBytes: 4000 });
  for (let i = 0; i < 120; i++) await get(sc.addresses[0]!, '/latest/meta-data/hostname');
  await sc.accessLog!.flush();
  const file = join(dir, 'f.ndjson');
  assert.ok(existsSync(file + '.1'));
  assert.ok(statSync(file).size <= 4000 && statSync(file + '.1').size <= 4000);
});

test('a stale socket file is replaced; a live one, or a taken port, is a clear error', async () => {
  const path = join(dir, 'stale.sock');
  // A process that dies with its socket bound leaves the file behind.
  spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  assert.ok(existsSync(path));
  const sc = await startSidecar({ served, tokenKey: TEST_KEY, listen: [{ kind: 'unix', path }] });
  running.push(sc);
  assert.equal((await get(sc.addresses[0]!, '/openstack')).status, 200);
  await assert.rejects(
    startSidecar({ served, tokenKey: TEST_KEY, listen: [{ kind: 'unix', path }] }),
    /another process is listening/,
  );
  const port = (running[0]!.addresses[0] as { port: number }).port;
  await assert.rejects(
    startSidecar({ served, tokenKey: TEST_KEY, listen: [{ kind: 'tcp', host: '127.0.0.1', port }] }),
    /address already in use/,
  );
  await assert.rejects(
    startSidecar({ served, tokenKey: TEST_KEY, listen: [{ kind: 'unix', path: join(dir, 'x'.repeat(120)) }] }),
    /is \d+ bytes; a Unix socket path holds at most 107/,
  );
});

test('close() finishes and removes the socket', async () => {
  const sc = await startSidecar({ served, tokenKey: TEST_KEY, listen: [{ kind: 'unix', path: join(dir, 'g.sock') }] });
  await get(sc.addresses[0]!, '/openstack', { agent: new Agent({ keepAlive: true }) });
  const t0 = Date.now();
  await sc.close(8000);
  assert.ok(Date.now() - t0 < 4000, 'idle keep-alive connections do not hold up close until the grace deadline');
  assert.ok(!existsSync(join(dir, 'g.sock')));
});
