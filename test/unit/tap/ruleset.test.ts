// The per-VM nftables text is pinned byte for byte (test/golden-nft/*.nft; UPDATE_GOLDEN=1 rewrites): it is what
// decides which guest reaches which sidecar, so a change is reviewed like code. test/integration/tap-rules.test.ts
// loads the same text into a real kernel.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { installText, removeText, tableName, vmMark } from '../../../src/tap/ruleset.js';
import { tapListen } from '../../../src/tap/addresses.js';
import { tapNicArgs } from '../../../src/hypervisor/qemu-args.js';

const golden = (name: string, got: string) => {
  const file = fileURLToPath(new URL(`../../../../test/golden-nft/${name}`, import.meta.url));
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, got);
  assert.equal(got, readFileSync(file, 'utf8'), `${name} differs (UPDATE_GOLDEN=1 rewrites it)`);
};

test('bridged tap: mark by ingress port in the bridge family, DNAT and port guard in inet', () => {
  golden('bridged.nft', installText({ vm: 'web', device: 'tap-web', bridge: 'br0', port: 8801 }));
});

test('routed tap: no bridge table, iifname picks the VM', () => {
  golden('routed.nft', installText({ vm: 'db-1', device: 'tap-db', bridge: null, port: 8802 }));
});

test('removal drops both families, and never fails on a table that is not there', () => {
  golden('remove.nft', removeText('web'));
});

test('names, marks and the sidecar listeners of a tap', () => {
  assert.equal(tableName('web'), 'vmmeta-web');
  assert.equal(vmMark(8801), '0x566d2261');
  assert.equal(vmMark(1), '0x566d0001');
  assert.deepEqual(tapListen({ device: 'tap-web', bridge: 'br0', port: 8801 }), [
    '169.254.169.254:8801',
    '[fe80::a9fe:a9fe%br0]:8801',
  ]);
  assert.deepEqual(tapListen({ device: 'tap-web', port: 8801 }), [
    '169.254.169.254:8801',
    '[fe80::a9fe:a9fe%tap-web]:8801',
  ]);
});

test('QEMU tap NIC: a plain tap netdev carrying the MAC, nothing for QEMU to script', () => {
  assert.deepEqual(tapNicArgs({ id: 'vmmeta0', mac: '52:54:00:12:34:56', device: 'tap-web' }), [
    '-netdev',
    'tap,id=vmmeta0,ifname=tap-web,script=no,downscript=no',
    '-device',
    'virtio-net-pci,netdev=vmmeta0,mac=52:54:00:12:34:56',
  ]);
  assert.throws(() => tapNicArgs({ id: 'vmmeta0', mac: '52:54:00:12:34:56', device: 'tap,script=/x' }), /bad tap name/);
});
