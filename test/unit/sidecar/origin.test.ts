import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { isLoopbackAddress, originOf, peerLabel, listenerLabel } from '../../../src/sidecar/origin.js';

test('loopback addresses, v4, v6 and v4-mapped', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackAddress(a), true, a);
  for (const a of ['169.254.169.254', '10.0.0.5', 'fe80::a9fe:a9fe', '::ffff:10.0.0.1', '128.0.0.1'])
    assert.equal(isLoopbackAddress(a), false, a);
});

test('origin: the socket is the guest; loopback listeners and host-local peers are the host', () => {
  const unix = { kind: 'unix' as const, path: '/s/sidecar.sock' };
  const lo = { kind: 'tcp' as const, host: '127.0.0.1', port: 8775 };
  const md = { kind: 'tcp' as const, host: '169.254.169.254', port: 8801 };
  assert.equal(originOf(unix, { remoteAddress: undefined, localAddress: undefined }), 'guest');
  assert.equal(originOf(lo, { remoteAddress: '127.0.0.1', localAddress: '127.0.0.1' }), 'host');
  assert.equal(originOf(lo, { remoteAddress: '10.0.0.9', localAddress: '127.0.0.1' }), 'host');
  assert.equal(originOf(md, { remoteAddress: '10.0.0.9', localAddress: '169.254.169.254' }), 'guest');
  assert.equal(originOf(md, { remoteAddress: '169.254.169.254', localAddress: '169.254.169.254' }), 'host');
  assert.equal(originOf(md, { remoteAddress: '127.0.0.1', localAddress: '169.254.169.254' }), 'host');
  assert.equal(listenerLabel(lo), '127.0.0.1:8775');
  assert.equal(listenerLabel({ kind: 'tcp', host: 'fe80::1%br0', port: 80 }), '[fe80::1%br0]:80');
  assert.equal(peerLabel({ remoteAddress: '::1', remotePort: 4 }), '[::1]:4');
  assert.equal(peerLabel({ remoteAddress: undefined, remotePort: undefined }), 'unix');
});
