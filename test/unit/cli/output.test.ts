import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  table,
  wantColor,
  formatUserError,
  errorDocument,
  jsonDocument,
  fields,
  formatBug,
  ago,
} from '../../../src/cli/output.js';
import { UserError } from '../../../src/errors.js';
import { invalidSpec } from '../../../src/spec/issues.js';

const plain = { color: false, width: 0 };

test('colour only on a TTY, never with NO_COLOR, --no-color or --json', () => {
  assert.equal(wantColor({}, {}, true), true);
  assert.equal(wantColor({}, {}, false), false);
  assert.equal(wantColor({}, { NO_COLOR: '1' }, true), false);
  assert.equal(wantColor({}, { NO_COLOR: '' }, true), true, 'NO_COLOR must be non-empty (no-color.org)');
  assert.equal(wantColor({ color: false }, {}, true), false);
  assert.equal(wantColor({ json: true }, {}, true), false);
});

test('table pads columns and cuts the last one to the width', () => {
  const out = table(
    ['NAME', 'STATE', 'ADDRESS'],
    [
      ['vm1', 'running', 'http://127.0.0.1:40000/'],
      ['a-longer-name', 'dead', ''],
    ],
    { color: false, width: 40 },
  );
  assert.equal(
    out,
    [
      'NAME           STATE    ADDRESS',
      'vm1            running  http://127.0.0.…', // 40 columns exactly
      'a-longer-name  dead',
      '',
    ].join('\n'),
  );
});

test('colour codes appear only when asked for', () => {
  const rows = [['a', 'b']];
  assert.doesNotMatch(table(['X', 'Y'], rows, plain), /\u001b\[/);
  assert.match(table(['X', 'Y'], rows, { color: true, width: 0 }), /\u001b\[1mX/);
  assert.match(formatUserError(new UserError('m'), { color: true, width: 0 }), /\u001b\[31mvmmeta:/);
});

test('a UserError prints as message, indented details, hint', () => {
  const err = invalidSpec('vm.yaml', [
    { path: 'network.links[0].mac', message: 'not a MAC address' },
    { path: 'name', message: 'required' },
  ]);
  assert.equal(
    formatUserError(err, plain),
    'vmmeta: vm.yaml: invalid spec (2 problems)\n  network.links[0].mac: not a MAC address\n  name: required\n',
  );
  const hinted = new UserError('no VM named x in /r', { exitCode: 3, hint: 'vmmeta list' });
  assert.equal(formatUserError(hinted, plain), 'vmmeta: no VM named x in /r\nhint: vmmeta list\n');
});

test('JSON documents: {ok:true,…} for results, {ok:false,error:{message,code,details,hint}} for errors', () => {
  assert.deepEqual(JSON.parse(jsonDocument({ name: 'vm1' })), { ok: true, name: 'vm1' });
  const doc = JSON.parse(errorDocument(new UserError('locked', { exitCode: 4, details: ['d'], hint: 'h' })));
  assert.deepEqual(doc, { ok: false, error: { message: 'locked', code: 4, details: ['d'], hint: 'h' } });
  assert.equal(JSON.parse(errorDocument(new UserError('x'))).error.hint, null);
});

test('a bug prints its stack and says it is a bug', () => {
  const out = formatBug(new TypeError('x is undefined'));
  assert.match(out, /^TypeError: x is undefined\n\s+at /);
  assert.match(out, /this is a bug in vmmeta/);
});

test('fields align keys and drop undefined values; ago is coarse', () => {
  assert.equal(
    fields(
      [
        ['a', '1'],
        ['longer', '2'],
        ['gone', undefined],
      ],
      plain,
      ' ',
    ),
    ' a:      1\n longer: 2\n',
  );
  const now = Date.parse('2026-01-01T01:00:00Z');
  assert.equal(ago('2026-01-01T00:59:30Z', now), '30s');
  assert.equal(ago('2026-01-01T00:30:00Z', now), '30m');
  assert.equal(ago(undefined, now), undefined);
});
