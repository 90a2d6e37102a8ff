// The sidecar resolves the state root and names its files without loading src/state (which the CLI owns and may
// grow heavier). This pins the two copies together: same names, same resolution order.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { FILES, resolveStateRoot as stateResolve, UNIX_PATH_MAX as STATE_UNIX_PATH_MAX } from '../../../src/state/paths.js';
import { SIDECAR_FILES, resolveStateRoot, UNIX_PATH_MAX } from '../../../src/state/layout.js';

test('sidecar file names match src/state/paths.ts', () => {
  for (const [key, name] of Object.entries(SIDECAR_FILES)) assert.equal((FILES as Record<string, string>)[key], name, key);
  assert.equal(UNIX_PATH_MAX, STATE_UNIX_PATH_MAX);
});

test('state root resolution matches src/state/paths.ts', () => {
  const inputs = [
    { flag: '/f', env: { VMMETA_STATE_DIR: '/e' }, uid: 0 },
    { env: { VMMETA_STATE_DIR: '/e' }, uid: 1000 },
    { env: {}, uid: 0 },
    { env: { XDG_STATE_HOME: '/x' }, uid: 1000 },
    { env: {}, uid: 1000, home: '/home/u' },
  ];
  for (const input of inputs) assert.equal(resolveStateRoot(input), stateResolve(input), JSON.stringify(input));
});
