// `vmmeta serve` as a real process: ready event after listen, sidecar.json, SIGHUP reload, SIGTERM cleanup, exit
// codes, and two VMs' sidecars side by side, each answering only its own documents.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { decodeSidecarInfo, type ListenAddress } from '../../src/sidecar/files.js';
import { encodeServed } from '../../src/sidecar/served.js';
import { handTree, spawnServe, writeVmState, VMMETA_BIN, TEST_UUID, rawExchange } from '../helpers/sidecar.js';

async function fetchText(addr: ListenAddress, path: string): Promise<{ status: number; body: string }> {
  if (addr.kind === 'tcp') {
    const res = await fetch(`http://${addr.host}:${addr.port}${path}`);
    return { status: res.status, body: await res.text() };
  }
  const raw = await rawExchange(addr, [`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`], {
    waitMs: 5000,
  });
  const text = raw.data.toString('utf8');
  return { status: Number(text.slice(9, 12)), body: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

test('serve: ready after listen, sidecar.json, SIGHUP reload, SIGTERM removes its files and exits 0', async () => {
  const root = mkdtempSync(join(tmpdir(), 'vmmeta-serve-'));
  const dir = writeVmState(root, 'web', handTree('v1'));
  const sp = await spawnServe(root, 'web');
  assert.equal(sp.ready.pid, sp.child.pid);
  assert.deepEqual(
    sp.ready.listen.map((l) => l.kind),
    ['unix'],
  ); // the default: the 0600 socket only
  const info = decodeSidecarInfo(readFileSync(join(dir, 'sidecar.json'), 'utf8'));
  assert.deepEqual(info.listen, sp.ready.listen);
  assert.equal(info.pid, sp.child.pid);
  for (const addr of sp.ready.listen)
    assert.equal((await fetchText(addr, '/latest/meta-data/hostname')).body, 'web-v1');

  writeFileSync(
    join(dir, 'served.json'),
    encodeServed(handTree('v2'), { vm: 'web', uuid: TEST_UUID, imds: { tokens: 'optional' } }),
  );
  sp.child.kill('SIGHUP');
  await sp.nextEvent('reloaded');
  assert.equal((await fetchText(sp.ready.listen[0]!, '/latest/meta-data/hostname')).body, 'web-v2');

  writeFileSync(join(dir, 'served.json'), '{"broken"');
  sp.child.kill('SIGHUP');
  const failed = await sp.nextEvent('reload-failed');
  assert.match(String(failed.error), /not JSON/);
  assert.equal(
    (await fetchText(sp.ready.listen[0]!, '/latest/meta-data/hostname')).body,
    'web-v2',
    'a bad file keeps the old documents',
  );

  sp.child.kill('SIGTERM');
  assert.equal(await sp.exit, 0);
  assert.ok(!existsSync(join(dir, 'sidecar.json')));
  assert.ok(!existsSync(join(dir, 'sidecar.sock')));
  assert.ok(sp.events.some((e) => e.event === 'stopped'));
});

test('serve: two VMs at once, each answers only its own documents', async () => {
  const root = mkdtempSync(join(tmpdir(), 'vmmeta-serve-'));
  writeVmState(root, 'alpha', handTree('alpha'), { listen: ['unix', '127.0.0.1:0'] });
  writeVmState(root, 'beta', handTree('beta'), { listen: ['unix', '127.0.0.1:0'] });
  const [a, b] = await Promise.all([spawnServe(root, 'alpha'), spawnServe(root, 'beta')]);
  try {
    for (const [sp, name] of [
      [a, 'alpha'],
      [b, 'beta'],
    ] as const) {
      for (const addr of sp.ready.listen) {
        assert.equal((await fetchText(addr, '/latest/meta-data/instance-id')).body, `i-${name}`);
        assert.match((await fetchText(addr, '/openstack/latest/meta_data.json')).body, new RegExp(`"web-${name}"`));
      }
    }
    assert.notEqual((a.ready.listen[1] as { port: number }).port, (b.ready.listen[1] as { port: number }).port);
  } finally {
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    assert.deepEqual(await Promise.all([a.exit, b.exit]), [0, 0]);
  }
});

test('serve: --listen overrides served.json; errors are one line on stderr with exit 1, usage exit 2', async () => {
  const root = mkdtempSync(join(tmpdir(), 'vmmeta-serve-'));
  writeVmState(root, 'web', handTree('v1'), { listen: ['127.0.0.1:0'] });
  const sp = await spawnServe(root, 'web');
  assert.deepEqual(
    sp.ready.listen.map((l) => l.kind),
    ['tcp'],
    'served.json listen is the default',
  );
  sp.child.kill('SIGINT');
  assert.equal(await sp.exit, 0);

  const taken = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => taken.once('listening', r));
  const port = (taken.address() as { port: number }).port;
  const run = (args: string[]) =>
    spawnSync(process.execPath, [VMMETA_BIN, 'serve', ...args], { encoding: 'utf8', timeout: 10_000 });
  const cases: [string[], number, RegExp][] = [
    [
      ['web', '--state-dir', root, '--listen', `127.0.0.1:${port}`],
      1,
      /cannot listen on 127\.0\.0\.1:\d+: address already in use/,
    ],
    [['web', '--state-dir', root, '--listen', '0.0.0.0:8080'], 1, /refusing every interface/],
    [['web', '--state-dir', root, '--listen', 'localhost:80'], 1, /not an IP address/],
    [['nope', '--state-dir', root], 1, /no VM "nope": .*served\.json is missing \(run vmmeta create first\)/],
    [
      ['web', '--state-dir', root, '--listen', '[fe80::a9fe:a9fe%nosuchif0]:8775'],
      1,
      /cannot listen on \[fe80::a9fe:a9fe%nosuchif0\]:8775/,
    ],
    [[], 2, /missing VM name/],
    [['web', '--bogus'], 2, /unknown option --bogus/],
    [['../etc'], 2, /not a VM name/],
  ];
  try {
    for (const [args, code, re] of cases) {
      const r = run(args);
      assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('usage:')).length,
        1,
        r.stderr,
      );
      assert.equal(r.stdout, '');
    }
  } finally {
    taken.close();
  }
  writeFileSync(join(root, 'web', 'secrets.json'), '{}');
  const r = run(['web', '--state-dir', root]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /secrets\.json: tokenKey/);
});
