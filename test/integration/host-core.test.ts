// MetadataHost in this process, on real sockets: which VMs a scan serves, what load does to a running VM (a
// tree swap, or a rebind when its listeners change), and what a failed load or reload leaves served.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MetadataHost, type HostEvent } from '../../src/sidecar/host.js';
import { encodeServed } from '../../src/sidecar/served.js';
import { handTree, writeVmState } from '../helpers/sidecar.js';
import { httpGet } from '../helpers/cli.js';

const root = mkdtempSync('/tmp/vmhc-');
const events: HostEvent[] = [];
const host = new MetadataHost(root, { onEvent: (e) => events.push(e) });
after(async () => {
  await host.close(100);
  await rm(root, { recursive: true, force: true });
});

const hostname = async (vm: string) => {
  const r = await httpGet({ socketPath: join(root, vm, 'sidecar.sock'), path: '/openstack/latest/meta_data.json' });
  return (JSON.parse(r.body) as { hostname: string }).hostname;
};
const served = (vm: string, marker: string, meta: Record<string, unknown> = {}) =>
  writeFileSync(
    join(root, vm, 'served.json'),
    encodeServed(handTree(marker), { vm, uuid: 'u', imds: { tokens: 'optional' }, host: true, ...meta }),
    { mode: 0o600 },
  );

test('a scan serves the host-mode VMs only: not a process-mode VM, not one left stopped, and a broken one fails alone', async () => {
  writeVmState(root, 'a', handTree('a1'), { host: true });
  writeVmState(root, 'b', handTree('b1'), { host: true });
  writeVmState(root, 'own', handTree('own'));
  writeVmState(root, 'halted', handTree('h'), { host: true });
  writeFileSync(join(root, 'halted', 'sidecar.stopped'), 'x\n');
  writeVmState(root, 'broken', handTree('x'), { host: true });
  writeFileSync(join(root, 'broken', 'secrets.json'), '{}');
  const r = await host.scan();
  assert.deepEqual(r, { serving: ['a', 'b'], failed: ['broken'] });
  assert.deepEqual([await hostname('a'), await hostname('b')], ['web-a1', 'web-b1']);
  assert.match(host.statusOf('broken')?.error ?? '', /tokenKey: expected a base64 string/);
  assert.match(readFileSync(join(root, 'broken', 'sidecar.log'), 'utf8'), /vmmeta host: cannot serve broken: /);
  assert.equal(existsSync(join(root, 'own', 'sidecar.json')), false);
  const info = JSON.parse(readFileSync(join(root, 'a', 'sidecar.json'), 'utf8')) as { pid: number; host: boolean };
  assert.deepEqual([info.pid, info.host], [process.pid, true]);
});

test('load of a served VM swaps its tree on the same listeners; new listen addresses rebind it', async () => {
  const since = host.statusOf('a')!.since;
  served('a', 'a2');
  assert.equal((await host.load('a'))?.since, since, 'a tree swap keeps the listeners');
  assert.equal(await hostname('a'), 'web-a2');
  served('a', 'a3', { listen: ['unix', '127.0.0.1:0'] });
  const now = await host.load('a');
  assert.notEqual(now?.since, since);
  assert.deepEqual(
    now?.listen?.map((l) => l.kind),
    ['unix', 'tcp'],
  );
  assert.equal(await hostname('a'), 'web-a3');
  assert.equal(await hostname('b'), 'web-b1', 'the other VM is untouched');
});

test('a reload that fails keeps the previous documents served and says why; a load of a VM not in host mode is refused', async () => {
  writeFileSync(join(root, 'b', 'served.json'), 'garbage');
  await assert.rejects(host.load('b'), /served\.json: not JSON/);
  assert.equal(await hostname('b'), 'web-b1');
  assert.match(host.statusOf('b')?.error ?? '', /^reload failed, still serving the previous documents: /);
  await assert.rejects(host.load('own'), /own is not in host mode \(its spec's sidecar\.mode is process\)/);
  await assert.rejects(host.load('../a'), /"..\/a" is not a VM name/);
  await assert.rejects(host.load('ghost'), /no VM "ghost"/);
});

test('loads of one VM run one after another, so the last one written wins', async () => {
  const loads: Promise<unknown>[] = [];
  for (let i = 0; i < 10; i++) {
    served('a', `q${i}`);
    loads.push(host.load('a'));
  }
  await Promise.all(loads);
  assert.equal(await hostname('a'), 'web-q9');
});

test('unload with stop leaves a mark that a scan honours; load with start clears it', async () => {
  await host.unload('a', { stop: true });
  assert.equal(existsSync(join(root, 'a', 'sidecar.json')), false);
  assert.equal(existsSync(join(root, 'a', 'sidecar.stopped')), true);
  assert.equal((await host.scan()).serving.includes('a'), false);
  await host.load('a', { start: true });
  assert.equal(existsSync(join(root, 'a', 'sidecar.stopped')), false);
  assert.equal(await hostname('a'), 'web-q9');
  assert.ok(events.some((e) => e.event === 'unloaded' && e.vm === 'a'));
});
