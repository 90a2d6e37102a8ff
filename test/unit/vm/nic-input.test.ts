import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { newHotNic } from '../../../src/vm/nic-input.js';
import { hotplugView, hotplugWarnings } from '../../../src/vm/hotplug-view.js';
import { applyOverrides, specVm, type HotNic } from '../../../src/vm/overrides.js';
import { encodeResolved, type StoredState } from '../../../src/state/store.js';
import { UserError } from '../../../src/errors.js';
import { resolve } from '../../helpers/vm-fixtures.js';

const NOW = new Date('2026-12-01T12:00:00Z');
function state(hotplug?: Record<string, unknown>): StoredState {
  const vm = resolve({
    name: 'vm1',
    ...(hotplug ? { hotplug } : {}),
    network: {
      links: [{ id: 'eth0', type: 'physical', mac: '52:54:00:00:00:01' }],
      networks: [{ link: 'eth0', type: 'ipv4', address: '10.0.0.5/24' }],
    },
  });
  return { resolved: encodeResolved(vm) } as unknown as StoredState;
}
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return [e.exitCode, e.message, ...e.details].join(' | ');
    throw e;
  }
  return 'no error';
};

test('a static NIC: its link and an ipv4 network (IPv6 by the address family), on the root bus for pc', () => {
  const n = newHotNic(
    { id: 'data0', mac: '52:54:00:AA:00:10', addresses: ['10.20.0.5/24', 'fd00::5/64'], gateway: '10.20.0.1' },
    state(),
    [],
    NOW,
  );
  assert.deepEqual(n.link, { id: 'data0', type: 'physical', mac: '52:54:00:aa:00:10' });
  assert.deepEqual(
    n.networks.map((x) => [x.type, 'address' in x ? x.address : '', 'gateway' in x ? x.gateway : undefined]),
    [
      ['ipv4', '10.20.0.5/24', '10.20.0.1'],
      ['ipv6', 'fd00::5/64', undefined],
    ],
  );
  assert.equal(n.port, null);
  assert.deepEqual(n.backend, { type: 'user' });
  assert.equal(n.addedAt, NOW.toISOString());
  assert.equal(n.via, undefined, 'QMP unless told otherwise');
  const l = newHotNic(
    { id: 'data0', mac: '52:54:00:aa:00:10', dhcp: true, libvirt: { domain: 'web1', uri: 'qemu:///system' } },
    state(),
    [],
    NOW,
  );
  assert.deepEqual(
    l.via,
    { libvirt: { domain: 'web1', uri: 'qemu:///system' } },
    'recorded, so nic remove detaches through libvirt too',
  );
});

test('taken MAC or id: exit 4 naming the link that holds it; bad input: exit 2 naming the flag', () => {
  assert.match(
    code(() => newHotNic({ id: 'eth0', mac: '52:54:00:aa:00:10', dhcp: true }, state(), [], NOW)),
    /^4 \| link id eth0 is already taken on vm1 \(link eth0\)/,
  );
  assert.match(
    code(() => newHotNic({ id: 'd1', mac: '52:54:00:00:00:01', dhcp: true }, state(), [], NOW)),
    /^4 \| MAC 52:54:00:00:00:01 is already taken on vm1 \(link eth0\)/,
  );
  assert.match(
    code(() => newHotNic({ id: 'd1', mac: '52:54:00:aa:00:10' }, state(), [], NOW)),
    /^2 .*--address: give --address CIDR/,
  );
  assert.match(
    code(() => newHotNic({ id: 'd1', mac: '01:54:00:aa:00:10', dhcp: true }, state(), [], NOW)),
    /^2 .*multicast/,
  );
  assert.match(
    code(() => newHotNic({ id: 'd1', mac: '52:54:00:aa:00:10', addresses: ['10.0.0.9/24'] }, state(), [], NOW)),
    /^2 \| invalid NIC/,
    "overlaps eth0's subnet",
  );
  assert.match(
    code(() =>
      newHotNic({ id: 'd1', mac: '52:54:00:aa:00:10', dhcp: true, tap: 'a-name-far-too-long' }, state(), [], NOW),
    ),
    /^2 .*--tap/,
  );
});

test('q35: each NIC takes the next free root port; none left is exit 4', () => {
  const s = state({ machine: 'q35', rootPorts: 2 });
  const a = newHotNic({ id: 'a', mac: '52:54:00:aa:00:10', dhcp: true }, s, [], NOW);
  const b = newHotNic({ id: 'b', mac: '52:54:00:aa:00:11', dhcp: true }, s, [a], NOW);
  assert.deepEqual([a.port, b.port], [1, 2]);
  assert.match(
    code(() => newHotNic({ id: 'c', mac: '52:54:00:aa:00:12', dhcp: true }, s, [a, b], NOW)),
    /^4 \| vm1 has no spare root port left/,
  );
});

test('applied NICs join the links and networks; the spec VM is recovered from the resolved one; a clash is exit 4', () => {
  const vm = resolve({ name: 'vm1', network: { links: [{ id: 'eth0', type: 'physical', mac: '52:54:00:00:00:01' }] } });
  const nic: HotNic = newHotNic(
    { id: 'data0', mac: '52:54:00:aa:00:10', addresses: ['10.20.0.5/24'] },
    { resolved: encodeResolved(vm) } as unknown as StoredState,
    [],
    NOW,
  );
  const withNic = applyOverrides(vm, { nics: [nic] });
  assert.deepEqual(
    withNic.network.links.map((l) => l.id),
    ['eth0', 'data0'],
  );
  assert.deepEqual(specVm(withNic, { nics: [nic] }), vm);
  assert.match(
    code(() => applyOverrides(withNic, { nics: [nic] })),
    /^4 \| network\.links: link data0/,
  );
});

test('inspect: whether the guest fetched network_data.json after the event, and a warning after a minute without', () => {
  const nic = newHotNic(
    { id: 'data0', mac: '52:54:00:aa:00:10', addresses: ['10.20.0.5/24'] },
    state({ network: true }),
    [],
    NOW,
  );
  const vm = resolve({ name: 'vm1', hotplug: { network: true } });
  const req = (time: string, path: string) => ({ time, path, status: 200 }) as never;
  const before = hotplugView(
    vm,
    [nic],
    [
      req('2026-12-01T11:59:00Z', '/openstack/latest/network_data.json'),
      req('2026-12-01T12:00:05Z', '/openstack/latest/meta_data.json'),
    ],
  );
  assert.equal(before.nics[0]!.fetchedAfter, null);
  assert.deepEqual(hotplugWarnings(before, 'vm1', NOW.getTime() + 30_000), [], "within the hook's retry window");
  assert.deepEqual(
    hotplugWarnings(before, 'vm1', NOW.getTime() + 61_000).map((w) => w.code),
    ['hotplug-not-fetched'],
  );
  const after = hotplugView(vm, [nic], [req('2026-12-01T12:00:03Z', '/openstack/2018-08-27/network_data.json')]);
  assert.equal(after.nics[0]!.fetchedAfter, '2026-12-01T12:00:03Z');
});
