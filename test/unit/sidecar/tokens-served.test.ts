import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { issueToken, verifyToken, TOKEN_TTL_MAX } from '../../../src/sidecar/tokens.js';
import { encodeServed, decodeServed, ServedError } from '../../../src/sidecar/served.js';
import { decodeSidecarInfo, encodeSidecarInfo } from '../../../src/sidecar/files.js';
import { decodeTokenKey, newSecrets } from '../../../src/state/secrets.js';
import { resolveStateRoot, isVmName } from '../../../src/state/layout.js';
import { handTree, TEST_KEY, TEST_UUID } from '../../helpers/sidecar.js';

const NOW = 1_700_000_000_000;

test('tokens: valid until expiry, bound to the key, bounded TTL', () => {
  const t = issueToken(TEST_KEY, 10, NOW);
  assert.equal(t.length, 32);
  assert.ok(verifyToken(TEST_KEY, t, NOW));
  assert.ok(verifyToken(TEST_KEY, t, NOW + 9_999));
  assert.ok(!verifyToken(TEST_KEY, t, NOW + 10_000));
  assert.ok(!verifyToken(new Uint8Array(32), t, NOW));
  // a clock that jumped back more than the TTL limit cannot stretch a token's life
  assert.ok(!verifyToken(TEST_KEY, issueToken(TEST_KEY, TOKEN_TTL_MAX, NOW), NOW - 1000));
  for (const bad of ['', 'x'.repeat(32), t + 'A', t.slice(1), t.replace(/^./, '+')])
    assert.ok(!verifyToken(TEST_KEY, bad, NOW), bad);
  assert.throws(() => issueToken(TEST_KEY, 0, NOW), RangeError);
  assert.throws(() => issueToken(TEST_KEY, TOKEN_TTL_MAX + 1, NOW), RangeError);
});

test('served.json round-trips the tree byte for byte and stores identical documents once', () => {
  const tree = handTree('v1', { userData: 'x'.repeat(10_000) });
  const text = encodeServed(tree, { vm: 'web', uuid: TEST_UUID, imds: { tokens: 'required' }, listen: ['unix'] });
  const back = decodeServed(text);
  assert.deepEqual([...back.tree.keys()], [...tree.keys()]);
  for (const [p, b] of tree) assert.deepEqual(back.tree.get(p), b, p);
  assert.equal(back.vm, 'web');
  assert.equal(back.imds.tokens, 'required');
  assert.deepEqual(back.listen, ['unix']);
  // user data appears under 4 paths but once in the file
  assert.ok(text.length < 10_000 * 1.34 + 6_000, `served.json is ${text.length} bytes`);
  assert.equal(back.tree.get('/latest/user-data'), back.tree.get('/openstack/latest/user_data'));
});

test('served.json validation names the problem', () => {
  const good = JSON.parse(encodeServed(handTree(), { vm: 'web', uuid: TEST_UUID, imds: { tokens: 'optional' } }));
  const cases: [unknown, RegExp][] = [
    ['nope', /not JSON/],
    [{ ...good, version: 2 }, /version/],
    [{ ...good, imds: { tokens: 'sometimes' } }, /imds.tokens/],
    [{ ...good, blobs: ['***'] }, /blobs\[0\]: not base64/],
    [{ ...good, files: { '/a': 999 } }, /not an index/],
    [{ ...good, files: { relative: 0 } }, /bad path/],
    [{ ...good, files: { '/a/../b': 0 } }, /bad path/],
    [{ ...good, files: {} }, /empty tree/],
    [{ ...good, vm: 3 }, /vm: expected a string/],
  ];
  for (const [doc, re] of cases) {
    assert.throws(
      () => decodeServed(typeof doc === 'string' ? doc : JSON.stringify(doc)),
      (e: Error) => e instanceof ServedError && re.test(e.message),
      String(re),
    );
  }
});

test('secrets and sidecar.json formats', () => {
  assert.equal(decodeTokenKey(newSecrets()).length, 32);
  assert.throws(() => decodeTokenKey('{"tokenKey":"c2hvcnQ="}'), /shorter/);
  assert.throws(() => decodeTokenKey('{}'), /tokenKey/);
  const info = {
    pid: 42,
    startedAt: '2026-01-01T00:00:00.000Z',
    listen: [
      { kind: 'unix' as const, path: '/x.sock' },
      { kind: 'tcp' as const, host: '127.0.0.1', port: 8775 },
    ],
  };
  assert.deepEqual(decodeSidecarInfo(encodeSidecarInfo(info)), info);
  assert.throws(() => decodeSidecarInfo('{"pid":1}'));
});

test('state root resolution order', () => {
  assert.equal(resolveStateRoot({ flag: '/f', env: { VMMETA_STATE_DIR: '/e' }, uid: 0 }), '/f');
  assert.equal(resolveStateRoot({ env: { VMMETA_STATE_DIR: '/e' }, uid: 0 }), '/e');
  assert.equal(resolveStateRoot({ env: { XDG_STATE_HOME: '/x' }, uid: 0 }), '/var/lib/vmmeta');
  assert.equal(resolveStateRoot({ env: { XDG_STATE_HOME: '/x' }, uid: 1000 }), '/x/vmmeta');
  assert.equal(resolveStateRoot({ env: {}, uid: 1000, home: '/home/u' }), '/home/u/.local/state/vmmeta');
  assert.ok(isVmName('web-1') && !isVmName('../x') && !isVmName('a.b') && !isVmName(''));
});
