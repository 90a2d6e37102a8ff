// `vmmeta serve` is routed to the lean sidecar entry before commander loads (bin/vmmeta.js), unless a global flag
// comes first. Either way the global flags must mean what they mean for every other command: --state-dir picks the
// root, --json makes a failure one JSON document on stdout, --no-color is accepted.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { vmmeta, tempRoot, cleanupRoot, json } from '../helpers/cli.js';

const root = tempRoot('vmm-serve-flags-');
const other = tempRoot('vmm-serve-other-');
after(async () => {
  await cleanupRoot(root);
  await cleanupRoot(other);
});

// VMMETA_STATE_DIR points elsewhere, so only an honoured --state-dir names `root` in the message.
const env = { VMMETA_STATE_DIR: other };

for (const [label, args] of [
  ['flags after serve (the lean route)', ['serve', 'nosuch', '--state-dir', root, '--json', '--no-color']],
  ['flags before serve (through commander)', ['--state-dir', root, '--json', '--no-color', 'serve', 'nosuch']],
] as const) {
  test(`serve: ${label} honours --state-dir, --json and --no-color`, async () => {
    const r = await vmmeta([...args], { env });
    assert.equal(r.code, 1, r.stderr);
    const doc = json<{ ok: boolean; error: { message: string; code: number } }>(r);
    assert.equal(doc.ok, false);
    assert.equal(doc.error.code, 1);
    assert.ok(doc.error.message.includes(`${root}/nosuch/served.json is missing`), doc.error.message);
  });
}

test('serve: a usage error under --json is a JSON document with exit 2; without it, text on stderr', async () => {
  const asJson = await vmmeta(['serve', '--json', '--bogus', 'x'], { env });
  assert.equal(asJson.code, 2);
  assert.match(json<{ error: { message: string } }>(asJson).error.message, /unknown option --bogus/);
  const asText = await vmmeta(['serve', '--bogus', 'x'], { env });
  assert.equal(asText.code, 2);
  assert.equal(asText.stdout, '');
  assert.match(asText.stderr, /^vmmeta serve: unknown option --bogus\nusage: vmmeta serve/);
});
