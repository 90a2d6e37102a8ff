import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseHostRequest } from '../../../src/sidecar/host-protocol.js';

test('the host takes ping, status, load and unload, with only the flags each one knows', () => {
  assert.deepEqual(parseHostRequest('{"op":"ping"}'), { op: 'ping' });
  assert.deepEqual(parseHostRequest('{"op":"status"}'), { op: 'status' });
  assert.deepEqual(parseHostRequest('{"op":"status","vm":"a"}'), { op: 'status', vm: 'a' });
  assert.deepEqual(parseHostRequest('{"op":"load","vm":"a","start":true}'), { op: 'load', vm: 'a', start: true });
  assert.deepEqual(parseHostRequest('{"op":"unload","vm":"a","stop":false}'), { op: 'unload', vm: 'a', stop: false });
  // a flag of the other op is not read: load never writes a stop mark, unload never clears one
  assert.deepEqual(parseHostRequest('{"op":"load","vm":"a","stop":true}'), { op: 'load', vm: 'a' });
});

test('a bad request is named: not JSON, not an object, unknown op, missing vm, a flag that is not boolean', () => {
  const cases: Array<[string, RegExp]> = [
    ['{"op":', /not JSON/],
    ['[1]', /expected an object/],
    ['null', /expected an object/],
    ['{"op":"reboot"}', /unknown op "reboot" \(ping, status, load, unload\)/],
    ['{"op":"load"}', /load needs a vm/],
    ['{"op":"unload","vm":7}', /vm must be a string/],
    ['{"op":"load","vm":"a","start":"yes"}', /start must be true or false/],
  ];
  for (const [line, want] of cases) assert.throws(() => parseHostRequest(line), want, line);
});
