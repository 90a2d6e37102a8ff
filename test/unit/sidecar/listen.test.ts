import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseListen } from '../../../src/sidecar/listen.js';
import { parseServeArgs } from '../../../src/sidecar/main.js';

const opts = { socketPath: '/state/web/sidecar.sock' };

test('listen addresses: unix, IPv4, IPv6 with zone', () => {
  assert.deepEqual(parseListen('unix', opts), { kind: 'unix', path: '/state/web/sidecar.sock' });
  assert.deepEqual(parseListen('unix:/run/vm.sock', opts), { kind: 'unix', path: '/run/vm.sock' });
  assert.deepEqual(parseListen('127.0.0.1:0', opts), { kind: 'tcp', host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListen('169.254.169.254:80', opts), { kind: 'tcp', host: '169.254.169.254', port: 80 });
  assert.deepEqual(parseListen('[fe80::a9fe:a9fe%br0]:80', opts), {
    kind: 'tcp',
    host: 'fe80::a9fe:a9fe%br0',
    port: 80,
  });
  assert.deepEqual(parseListen('[::1]:8775', opts), { kind: 'tcp', host: '::1', port: 8775 });
  assert.deepEqual(parseListen('0.0.0.0:80', { ...opts, allowAll: true }), { kind: 'tcp', host: '0.0.0.0', port: 80 });
});

test('listen addresses: refused forms name the problem', () => {
  const cases: [string, RegExp][] = [
    ['0.0.0.0:80', /refusing every interface/],
    ['[::]:80', /refusing every interface/],
    ['[0:0::0]:80', /refusing every interface/],
    ['localhost:80', /not an IP address/],
    ['::1:80', /expected unix/],
    ['fe80::1%br0:80', /expected unix/],
    ['127.0.0.1', /expected unix/],
    ['127.0.0.1:65536', /above 65535/],
    ['[fe80::1%br0;x]:80', /bad IPv6 zone/],
    ['[127.0.0.1]:80', /not an IP address/],
    ['unix:relative.sock', /absolute/],
  ];
  for (const [text, re] of cases) assert.throws(() => parseListen(text, opts), re, text);
});

test('serve argv: flags in both forms, repeatable --listen, usage errors', () => {
  assert.deepEqual(parseServeArgs(['web', '--state-dir', '/s', '--listen', 'unix', '--listen=127.0.0.1:0']), {
    vm: 'web',
    stateDir: '/s',
    listen: ['unix', '127.0.0.1:0'],
    allowAll: false,
    help: false,
    json: false,
  });
  assert.equal(parseServeArgs(['web', '--await-launch', '4242']).awaitLaunch, 4242);
  assert.throws(
    () => parseServeArgs(['web', '--await-launch', 'x']),
    /--await-launch needs the launching process's pid/,
  );
  // The global flags are accepted as they are by every command.
  assert.equal(parseServeArgs(['web', '--json', '--no-color']).json, true);
  assert.equal(parseServeArgs(['--help']).help, true);
  assert.throws(() => parseServeArgs(['web', '--listen']), /--listen needs a value/);
  assert.throws(() => parseServeArgs(['a', 'b']), /one VM name expected, got 2/);
  assert.throws(() => parseServeArgs(['Web']), /not a VM name/);
});
