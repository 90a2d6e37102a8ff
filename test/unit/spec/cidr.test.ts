import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  cidrProblem,
  formatIp,
  ipInSubnet,
  networkCidr,
  overlaps,
  parseCidr,
  parseIp,
  prefixToNetmask,
} from '../../../src/spec/cidr.js';

test('IPv4 addresses parse to their 32-bit value; malformed ones are refused', () => {
  assert.deepEqual(parseIp('192.0.2.1'), { family: 4, value: 0xc0000201n });
  assert.deepEqual(parseIp('0.0.0.0'), { family: 4, value: 0n });
  assert.deepEqual(parseIp('255.255.255.255'), { family: 4, value: 0xffffffffn });
  for (const bad of [
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '01.2.3.4',
    '1.2.3.-4',
    '1..3.4',
    ' 1.2.3.4',
    '1.2.3.4 ',
    'a.b.c.d',
    '0x1.2.3.4',
  ]) {
    assert.equal(parseIp(bad), null, bad);
  }
});

test('IPv6 addresses parse with "::" compression and an embedded IPv4 tail', () => {
  assert.deepEqual(parseIp('::'), { family: 6, value: 0n });
  assert.deepEqual(parseIp('::1'), { family: 6, value: 1n });
  assert.deepEqual(parseIp('2001:db8::1'), { family: 6, value: (0x20010db8n << 96n) | 1n });
  assert.deepEqual(parseIp('1:2:3:4:5:6:7:8'), parseIp('0001:0002:0003:0004:0005:0006:0007:0008'));
  assert.deepEqual(parseIp('::ffff:192.0.2.1'), { family: 6, value: (0xffffn << 32n) | 0xc0000201n });
  assert.deepEqual(parseIp('FE80::ABCD'), parseIp('fe80::abcd'));
  for (const bad of [
    ':',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '12345::',
    'g::1',
    '1:2:3:4:5:6:7::8',
    '::1.2.3',
    'fe80::1%eth0',
    '1.2.3.4::',
    ':1::',
    '1::2:',
    '[::1]',
  ]) {
    assert.equal(parseIp(bad), null, bad);
  }
});

test('formatIp writes RFC 5952 text and round-trips', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['1:2:3:4:5:6:0:8', '1:2:3:4:5:6:0:8'],
    ['10.0.0.1', '10.0.0.1'],
  ];
  for (const [input, want] of cases) {
    const ip = parseIp(input)!;
    assert.equal(formatIp(ip), want, input);
    assert.deepEqual(parseIp(formatIp(ip)), ip);
  }
});

test('parseCidr keeps host bits; cidrProblem says what is wrong', () => {
  assert.deepEqual(parseCidr('192.0.2.10/24'), { family: 4, address: 0xc000020an, prefix: 24 });
  assert.equal(parseCidr('2001:db8::/32')?.prefix, 32);
  assert.equal(parseCidr('0.0.0.0/0')?.prefix, 0);
  assert.equal(cidrProblem('192.0.2.10'), 'no prefix length (expected ADDRESS/PREFIX, e.g. 192.0.2.10/24)');
  assert.equal(cidrProblem('192.0.2.10/33'), 'prefix length 33 is above 32');
  assert.equal(cidrProblem('2001:db8::/129'), 'prefix length 129 is above 128');
  assert.equal(cidrProblem('192.0.2.10/024'), 'prefix length "024" is not a number');
  assert.equal(cidrProblem('192.0.2.10/'), 'prefix length "" is not a number');
  assert.equal(cidrProblem('host/24'), '"host" is not an IPv4 or IPv6 address');
  assert.equal(parseCidr('1.2.3.4/24/1'), null);
  assert.equal(networkCidr(parseCidr('192.0.2.130/25')!), '192.0.2.128/25');
  assert.equal(networkCidr(parseCidr('2001:db8:1:2:3::9/48')!), '2001:db8:1::/48');
});

test('ipInSubnet compares the network bits only, and never across families', () => {
  assert.equal(ipInSubnet('192.0.2.1', '192.0.2.10/24'), true);
  assert.equal(ipInSubnet('192.0.3.1', '192.0.2.10/24'), false);
  assert.equal(ipInSubnet('192.0.2.129', '192.0.2.10/25'), false);
  assert.equal(ipInSubnet('10.9.9.9', '0.0.0.0/0'), true);
  assert.equal(ipInSubnet('2001:db8::ffff', '2001:db8::/64'), true);
  assert.equal(ipInSubnet('2001:db9::1', '2001:db8::/64'), false);
  assert.equal(ipInSubnet('::ffff:192.0.2.1', '192.0.2.0/24'), false);
  assert.equal(ipInSubnet('0.0.0.1', '::/96'), false);
  assert.equal(ipInSubnet('nonsense', '192.0.2.0/24'), false);
});

test('overlaps is true exactly when one subnet contains the other', () => {
  assert.equal(overlaps('192.0.2.0/24', '192.0.2.128/25'), true);
  assert.equal(overlaps('192.0.2.128/25', '192.0.2.0/24'), true);
  assert.equal(overlaps('192.0.2.0/25', '192.0.2.128/25'), false);
  assert.equal(overlaps('10.0.0.0/8', '10.255.0.0/16'), true);
  assert.equal(overlaps('10.0.0.0/8', '11.0.0.0/8'), false);
  assert.equal(overlaps('0.0.0.0/0', '203.0.113.0/24'), true);
  assert.equal(overlaps('2001:db8::/32', '2001:db8:ffff::/48'), true);
  assert.equal(overlaps('2001:db8::/32', '2001:db9::/32'), false);
  assert.equal(overlaps('0.0.0.0/0', '::/0'), false);
});

test('prefixToNetmask: dotted quad for IPv4, compressed colon form for IPv6', () => {
  assert.equal(prefixToNetmask(24), '255.255.255.0');
  assert.equal(prefixToNetmask(0), '0.0.0.0');
  assert.equal(prefixToNetmask(32), '255.255.255.255');
  assert.equal(prefixToNetmask(19, 4), '255.255.224.0');
  assert.equal(prefixToNetmask(64, 6), 'ffff:ffff:ffff:ffff::');
  assert.equal(prefixToNetmask(48, 6), 'ffff:ffff:ffff::');
  assert.equal(prefixToNetmask(128, 6), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  assert.equal(prefixToNetmask(0, 6), '::');
  assert.equal(prefixToNetmask(65, 6), 'ffff:ffff:ffff:ffff:8000::');
  assert.throws(() => prefixToNetmask(33, 4), RangeError);
  assert.throws(() => prefixToNetmask(-1, 6), RangeError);
});
