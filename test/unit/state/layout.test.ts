// state/layout.ts is what the lean sidecar and state/ both build on: where the state root is, what the sidecar's
// files are called (docs/cli.md names them), and the socket-path limit. Pinned against literal values, so a
// change to any of them has to change this test too.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { FILES } from '../../../src/state/paths.js';
import {
  SIDECAR_FILES,
  isVmName,
  resolveStateRoot,
  sidecarPaths,
  socketPathProblem,
  UNIX_PATH_MAX,
} from '../../../src/state/layout.js';

test('the state root: --state-dir, then $VMMETA_STATE_DIR, /var/lib/vmmeta as root, $XDG_STATE_HOME, ~/.local/state', () => {
  assert.equal(resolveStateRoot({ flag: '/f', env: { VMMETA_STATE_DIR: '/e' }, uid: 0 }), '/f');
  assert.equal(resolveStateRoot({ env: { VMMETA_STATE_DIR: '/e' }, uid: 0 }), '/e');
  assert.equal(resolveStateRoot({ env: { XDG_STATE_HOME: '/x' }, uid: 0 }), '/var/lib/vmmeta');
  assert.equal(resolveStateRoot({ env: { XDG_STATE_HOME: '/x' }, uid: 1000 }), '/x/vmmeta');
  assert.equal(resolveStateRoot({ env: {}, uid: 1000, home: '/home/u' }), '/home/u/.local/state/vmmeta');
  assert.equal(resolveStateRoot({ flag: 'rel', env: {}, uid: 1000 }), `${process.cwd()}/rel`, 'made absolute once');
});

test("the sidecar's files have the names docs/cli.md gives, and state/paths.ts uses the same ones", () => {
  assert.deepEqual(SIDECAR_FILES, {
    served: 'served.json',
    secrets: 'secrets.json',
    password: 'password',
    sidecarJson: 'sidecar.json',
    sidecarSock: 'sidecar.sock',
    accessLog: 'access.ndjson',
    sidecarLog: 'sidecar.log',
    sidecarLaunch: 'sidecar.launch',
    hostStopped: 'sidecar.stopped',
  });
  for (const [key, name] of Object.entries(SIDECAR_FILES))
    assert.equal((FILES as Record<string, string>)[key], name, key);
  assert.equal(sidecarPaths('/r', 'vm1').sidecarSock, '/r/vm1/sidecar.sock');
});

test('a socket path fits in sun_path (107 bytes and the NUL), counted in bytes', () => {
  assert.equal(UNIX_PATH_MAX, 107);
  assert.equal(socketPathProblem(`/${'a'.repeat(106)}`), undefined);
  assert.match(socketPathProblem(`/${'a'.repeat(107)}`)!, /is 108 bytes; a Unix socket path holds at most 107/);
  assert.match(socketPathProblem(`/${'é'.repeat(54)}`)!, /is 109 bytes/, 'bytes, not characters');
});

test('VM names: what the spec allows, nothing that could leave the root', () => {
  for (const ok of ['vm1', 'a', 'web-01', 'x'.repeat(63)]) assert.equal(isVmName(ok), true, ok);
  for (const bad of ['', '..', 'a/b', 'A', '-a', 'a-', 'a.b', 'x'.repeat(64)]) assert.equal(isVmName(bad), false, bad);
});
