import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FILES,
  GENERATED,
  vmPaths,
  parseLeftover,
  isSensitiveDocument,
  stagingDir,
  resolveStateRoot,
} from '../../../src/state/paths.js';
import { SIDECAR_FILES } from '../../../src/state/layout.js';
import {
  checkVmName,
  decodeResolved,
  encodeResolved,
  listVmNames,
  readState,
  removeLeftovers,
  requireVm,
} from '../../../src/state/store.js';
import { UserError } from '../../../src/errors.js';
import type { ResolvedVm } from '../../../src/spec/schema.js';

test("vmPaths names every file of the folder, and agrees with the sidecar's names", () => {
  const p = vmPaths('/r', 'vm1');
  assert.equal(p.dir, '/r/vm1');
  assert.equal(p.state, '/r/vm1/state.json');
  assert.equal(p.sidecarSock, '/r/vm1/sidecar.sock');
  for (const [k, v] of Object.entries(SIDECAR_FILES)) assert.equal((FILES as Record<string, string>)[k], v, k);
  assert.ok(!(GENERATED as readonly string[]).includes(FILES.state), 'state.json is committed last, separately');
  assert.ok(!(GENERATED as readonly string[]).includes(FILES.sidecarJson), 'runtime files survive updates');
});

test('staging and deleting folders are recognised and can never be VM names', () => {
  assert.deepEqual(parseLeftover('vm1.tmp-123'), { name: 'vm1', kind: 'tmp', pid: 123 });
  assert.deepEqual(parseLeftover('vm1.deleting-9'), { name: 'vm1', kind: 'deleting', pid: 9 });
  assert.equal(parseLeftover('vm1'), undefined);
  assert.equal(stagingDir('/r', 'a', 5), '/r/a.tmp-5');
  assert.throws(
    () => checkVmName('vm1.tmp-5'),
    (e: unknown) => e instanceof UserError && e.exitCode === 2,
  );
});

test('documents with user-data, vendor-data, passwords or the seed are sensitive', () => {
  for (const p of [
    'openstack/latest/user_data',
    'user-data',
    'latest/user-data',
    'vendor_data2.json',
    'vendor-data',
    'openstack/2012-08-10/meta_data.json',
    'password',
  ])
    assert.ok(isSensitiveDocument(p), p);
  for (const p of ['network-config', 'openstack/latest/network_data.json', 'latest/meta-data/hostname'])
    assert.ok(!isSensitiveDocument(p), p);
});

test('state root: flag > env > /var/lib/vmmeta for root > XDG > ~/.local/state', () => {
  assert.equal(resolveStateRoot({ flag: '/f', env: { VMMETA_STATE_DIR: '/e' }, uid: 0 }), '/f');
  assert.equal(resolveStateRoot({ env: { VMMETA_STATE_DIR: '/e' }, uid: 0 }), '/e');
  assert.equal(resolveStateRoot({ env: { XDG_STATE_HOME: '/x' }, uid: 0 }), '/var/lib/vmmeta');
  assert.equal(resolveStateRoot({ env: { XDG_STATE_HOME: '/x' }, uid: 1000 }), '/x/vmmeta');
  assert.equal(resolveStateRoot({ env: {}, uid: 1000, home: '/home/u' }), '/home/u/.local/state/vmmeta');
});

test('a relative state root becomes absolute (the socket path QEMU is given must be)', () => {
  assert.equal(resolveStateRoot({ flag: './.vmmeta-state', env: {}, uid: 0 }), join(process.cwd(), '.vmmeta-state'));
  assert.equal(resolveStateRoot({ env: { VMMETA_STATE_DIR: 'st' }, uid: 0 }), join(process.cwd(), 'st'));
});

test('user-data bytes survive the state.json round trip exactly', () => {
  const bytes = new Uint8Array([0x1f, 0x8b, 0, 255, 10, 13]);
  const vm = { name: 'a', uuid: 'u', hostname: 'a', instanceId: 'u', userData: bytes } as unknown as ResolvedVm;
  const back = decodeResolved(JSON.parse(JSON.stringify(encodeResolved(vm))) as ReturnType<typeof encodeResolved>);
  assert.deepEqual([...back.userData!], [...bytes]);
});

test('readState re-checks state.json: damaged or foreign versions are a clear error, a missing VM is exit 3', async () => {
  const root = mkdtempSync(join(tmpdir(), 'store-'));
  await assert.rejects(
    requireVm(root, 'nope'),
    (e: unknown) => e instanceof UserError && e.exitCode === 3 && /no VM named nope/.test(e.message),
  );
  mkdirSync(join(root, 'vm1'));
  writeFileSync(join(root, 'vm1', 'state.json'), JSON.stringify({ version: 2 }));
  await assert.rejects(
    readState(vmPaths(root, 'vm1')),
    (e: unknown) =>
      e instanceof UserError &&
      e.exitCode === 1 &&
      /damaged or from another vmmeta version/.test(e.message) &&
      e.details.some((d) => d.startsWith('version')),
  );
  writeFileSync(join(root, 'vm1', 'state.json'), '{"half');
  await assert.rejects(readState(vmPaths(root, 'vm1')), /damaged/);
});

test('listVmNames lists only VM folders; removeLeftovers removes only folders of dead commands', async () => {
  const root = mkdtempSync(join(tmpdir(), 'store-'));
  const dead = Number(
    spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString(),
  );
  for (const d of ['a', 'b', `a.tmp-${dead}`, `a.tmp-${process.pid}`, `b.deleting-${dead}`, 'Not_A_VM']) {
    mkdirSync(join(root, d));
    writeFileSync(join(root, d, 'state.json'), '{}');
  }
  mkdirSync(join(root, 'c')); // no state.json: not a VM
  assert.deepEqual(await listVmNames(root), ['a', 'b']);
  assert.deepEqual((await removeLeftovers(root, 'a')).sort(), [`a.tmp-${dead}`]);
  assert.deepEqual((await removeLeftovers(root)).sort(), [`b.deleting-${dead}`]);
  assert.deepEqual(readdirSync(root).sort(), ['Not_A_VM', 'a', `a.tmp-${process.pid}`, 'b', 'c']);
  assert.deepEqual(await listVmNames(join(root, 'absent')), []);
});
