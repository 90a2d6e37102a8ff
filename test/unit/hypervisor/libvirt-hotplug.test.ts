import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  attachArgs,
  detachArgs,
  interfaceXml,
  removedEventArgs,
  removedLine,
} from '../../../src/hypervisor/libvirt-hotplug.js';

const user = { linkId: 'data0', mac: '52:54:00:aa:00:10', backend: { type: 'user' as const }, port: null };
const tap = {
  linkId: 'data1',
  mac: '52:54:00:aa:00:11',
  backend: { type: 'tap' as const, ifname: 'tap-web' },
  port: null,
};

test('the interface element: virtio, the MAC, a ua- alias detach can find; a tap libvirt must not manage', () => {
  assert.equal(
    interfaceXml(user),
    "<interface type='user'>\n  <mac address='52:54:00:aa:00:10'/>\n  <model type='virtio'/>\n  <alias name='ua-vmmeta-hpd-data0'/>\n</interface>\n",
  );
  assert.equal(
    interfaceXml(tap),
    "<interface type='ethernet'>\n  <target dev='tap-web' managed='no'/>\n  <mac address='52:54:00:aa:00:11'/>\n  <model type='virtio'/>\n  <alias name='ua-vmmeta-hpd-data1'/>\n</interface>\n",
  );
});

test('virsh argv: attach and detach --live, the event watch started first, with and without a connection URI', () => {
  assert.deepEqual(attachArgs({ domain: 'web1' }, '/s/nic.xml'), ['attach-device', 'web1', '/s/nic.xml', '--live']);
  assert.deepEqual(detachArgs({ domain: 'web1', uri: 'qemu:///system' }, 'data0'), [
    '-c',
    'qemu:///system',
    'detach-device-alias',
    'web1',
    'ua-vmmeta-hpd-data0',
    '--live',
  ]);
  assert.deepEqual(removedEventArgs({ domain: 'web1' }, 0.5), [
    'event',
    '--domain',
    'web1',
    '--event',
    'device-removed',
    '--loop',
    '--timeout',
    '1',
  ]);
  assert.equal(removedLine("event 'device-removed' for domain 'web1': ua-vmmeta-hpd-data0\n", 'data0'), true);
  assert.equal(removedLine("event 'device-removed' for domain 'web1': ua-vmmeta-hpd-data01", 'data0'), false);
});
