import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { deviceAddArgs, freeRootPort, netdevAddArgs, netdevId, deviceId } from '../../../src/hypervisor/hotplug.js';
import { qemuArgs, qmpArgs, rootPortArgs } from '../../../src/hypervisor/qemu-args.js';

test('a hot-plugged NIC on pc: a restricted user netdev and a virtio-net-pci on the root bus', () => {
  const n = { linkId: '0data', mac: '52:54:00:aa:00:10', backend: { type: 'user' as const }, port: null };
  assert.equal(netdevId('0data'), 'vmmeta-hpn-0data', 'QEMU ids start with a letter even when the link id does not');
  assert.deepEqual(netdevAddArgs(n), { type: 'user', id: 'vmmeta-hpn-0data', restrict: true });
  assert.deepEqual(deviceAddArgs(n), {
    driver: 'virtio-net-pci',
    id: deviceId('0data'),
    netdev: 'vmmeta-hpn-0data',
    mac: '52:54:00:aa:00:10',
  });
});

test('on q35 the device goes into its spare root port; a tap backend runs no scripts', () => {
  const n = { linkId: 'd1', mac: '52:54:00:aa:00:11', backend: { type: 'tap' as const, ifname: 'tap-vm1b' }, port: 2 };
  assert.deepEqual(netdevAddArgs(n), {
    type: 'tap',
    id: 'vmmeta-hpn-d1',
    ifname: 'tap-vm1b',
    script: 'no',
    downscript: 'no',
  });
  assert.equal(deviceAddArgs(n).bus, 'vmmeta-rp2');
});

test('free root ports: the first no recorded NIC holds; none left is undefined', () => {
  assert.equal(freeRootPort(4, []), 1);
  assert.equal(freeRootPort(4, [1, 3, null]), 2);
  assert.equal(freeRootPort(2, [1, 2]), undefined);
  assert.equal(freeRootPort(0, []), undefined);
});

test('QMP on a Unix socket (commas doubled) and root ports with unique chassis numbers, last in the argv', () => {
  assert.deepEqual(qmpArgs('/var/lib/vmmeta/a,b/qmp.sock'), [
    '-qmp',
    'unix:/var/lib/vmmeta/a,,b/qmp.sock,server=on,wait=off',
  ]);
  assert.deepEqual(rootPortArgs(2), [
    '-device',
    'pcie-root-port,id=vmmeta-rp1,chassis=201',
    '-device',
    'pcie-root-port,id=vmmeta-rp2,chassis=202',
  ]);
  assert.throws(() => rootPortArgs(17));
  const argv = qemuArgs({
    uuid: '3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10',
    smbios: { type1: {}, type3: {} } as never,
    rootPorts: 1,
    qmpSocket: '/s/qmp.sock',
  });
  assert.deepEqual(argv.slice(-4), [
    '-device',
    'pcie-root-port,id=vmmeta-rp1,chassis=201',
    '-qmp',
    'unix:/s/qmp.sock,server=on,wait=off',
  ]);
});
