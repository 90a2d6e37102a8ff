import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseHostArgs } from '../../../src/sidecar/host-main.js';
import { hostHelp, HOST_USAGE } from '../../../src/sidecar/usage.js';

test('vmmeta host argv: --state-dir in both forms, the global flags, and named usage errors', () => {
  assert.deepEqual(parseHostArgs(['--state-dir', '/s']), { stateDir: '/s', help: false, json: false });
  assert.deepEqual(parseHostArgs(['--state-dir=/s', '--json', '--no-color']), {
    stateDir: '/s',
    help: false,
    json: true,
  });
  assert.equal(parseHostArgs(['-h']).help, true);
  assert.throws(() => parseHostArgs(['--state-dir']), /--state-dir needs a value/);
  assert.throws(() => parseHostArgs(['--listen', 'unix']), /unknown option --listen/);
  assert.throws(() => parseHostArgs(['vm1']), /unexpected argument "vm1" \(the host serves every host-mode VM/);
});

test('vmmeta host --help: usage, options and examples, as every command prints them', () => {
  const help = hostHelp();
  assert.ok(help.startsWith(`${HOST_USAGE}\n`));
  for (const part of ['Options:', '--state-dir <dir>', 'Examples:', '$ systemctl enable --now vmmeta-host'])
    assert.ok(help.includes(part), part);
});
