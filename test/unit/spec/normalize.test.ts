import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { normalizeSpec } from '../../../src/spec/normalize.js';
import { recordedIds } from '../../../src/spec/ids.js';
import { SpecSchema, type SpecInput } from '../../../src/spec/schema.js';

const ids = { uuid: '0d6f1c2a-5f3e-4b8e-9a51-3bd1a0c40f10', randomSeed: 'c2VlZA==' };
const resolve = (input: SpecInput, userData?: Uint8Array) =>
  normalizeSpec(SpecSchema.parse(input), userData ? { ids, userData } : { ids });

test('defaults: hostname from name, instance id = uuid, ids from the context, empty network', () => {
  const vm = resolve({ name: 'web' });
  assert.equal(vm.hostname, 'web');
  assert.equal(vm.uuid, ids.uuid);
  assert.equal(vm.instanceId, ids.uuid);
  assert.equal(vm.randomSeed, ids.randomSeed);
  assert.deepEqual(vm.network, { links: [], networks: [], dns: { servers: [], search: [] } });
  assert.equal(vm.userData, undefined);
  assert.equal('userData' in vm, false);
});

test('values from the spec win over generated ones', () => {
  const vm = resolve({
    name: 'web',
    uuid: 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE',
    hostname: 'web.example.org',
    instanceId: 'i-0001',
    randomSeed: 'YWJj\nZGVm\n',
  });
  assert.equal(vm.uuid, 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
  assert.equal(vm.hostname, 'web.example.org');
  assert.equal(vm.instanceId, 'i-0001');
  assert.equal(vm.randomSeed, 'YWJjZGVm');
});

test('instance id follows the spec uuid when only the uuid is given', () => {
  const vm = resolve({ name: 'web', uuid: '11111111-2222-4333-8444-555555555555' });
  assert.equal(vm.instanceId, '11111111-2222-4333-8444-555555555555');
});

test('user-data becomes exact bytes from each source, and the source fields are gone', () => {
  assert.deepEqual(
    resolve({ name: 'a', userData: '#cloud-config\nhostname: é\n' }).userData,
    new TextEncoder().encode('#cloud-config\nhostname: é\n'),
  );
  const gz = Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0x00]);
  const fromB64 = resolve({ name: 'a', userDataBase64: Buffer.from(gz).toString('base64') });
  assert.deepEqual(fromB64.userData, gz);
  const fromFile = resolve({ name: 'a', userDataFile: 'ud.bin' }, gz);
  assert.deepEqual(fromFile.userData, gz);
  for (const vm of [fromB64, fromFile]) {
    assert.equal('userDataFile' in vm, false);
    assert.equal('userDataBase64' in vm, false);
  }
  assert.deepEqual(
    resolve({ name: 'a', userData: '' }).userData,
    new Uint8Array(0),
    'empty user-data is still user-data',
  );
});

test('everything else passes through untouched', () => {
  const input: SpecInput = {
    name: 'a',
    meta: { k: 'v' },
    smbios: { profile: 'plain' },
    network: {
      links: [{ id: 'e', type: 'physical', mac: '52:54:00:AA:BB:CC' }],
      networks: [{ link: 'e', type: 'ipv6_slaac' }],
    },
  };
  const spec = SpecSchema.parse(input);
  const vm = normalizeSpec(spec, { ids });
  assert.deepEqual(vm.meta, { k: 'v' });
  assert.deepEqual(vm.smbios, spec.smbios);
  assert.deepEqual(vm.network, spec.network);
  assert.equal(vm.network.links[0]!.mac, '52:54:00:aa:bb:cc');
});

test('links without networks: DHCPv4 on the first physical link (what the docs promise), carrying network.dns', () => {
  const input: SpecInput = {
    name: 'a',
    network: {
      links: [
        { id: 'bond-member', type: 'physical', mac: '52:54:00:00:00:01' },
        { id: 'second', type: 'physical', mac: '52:54:00:00:00:02' },
      ],
      dns: { servers: ['192.0.2.53'], search: ['example.net'] },
    },
  };
  const vm = normalizeSpec(SpecSchema.parse(input), { ids });
  assert.deepEqual(vm.network.networks, [{ link: 'bond-member', type: 'ipv4_dhcp', dns: [] }]);
  assert.deepEqual(vm.network.dns, { servers: ['192.0.2.53'], search: ['example.net'] });
  const none = normalizeSpec(SpecSchema.parse({ name: 'a' }), { ids });
  assert.deepEqual(none.network.networks, [], 'no links: no network documents, cloud-init falls back by itself');
});

test('EC2 instance-id: "i-" + 17 hex digits of the uuid by default, the recorded one on update, the spec one if given', () => {
  assert.equal(resolve({ name: 'web' }).ec2InstanceId, 'i-0d6f1c2a5f3e4b8e9');
  assert.equal(resolve({ name: 'web', instanceId: 'i-0001' }).ec2InstanceId, 'i-0001');
  // A VM created before the "i-" default served its uuid over EC2: update keeps that, a new id would be a new
  // instance to cloud-init (per-instance modules run again, host keys regenerated).
  const old = recordedIds({
    uuid: ids.uuid,
    randomSeed: ids.randomSeed,
    resolved: { name: 'web', uuid: ids.uuid, instanceId: ids.uuid },
  });
  assert.equal(normalizeSpec(SpecSchema.parse({ name: 'web' }), { ids: old }).ec2InstanceId, ids.uuid);
  const recorded = recordedIds({
    uuid: ids.uuid,
    randomSeed: ids.randomSeed,
    resolved: { instanceId: ids.uuid, ec2InstanceId: 'i-0d6f1c2a5f3e4b8e9' },
  });
  assert.equal(
    normalizeSpec(SpecSchema.parse({ name: 'web' }), { ids: recorded }).ec2InstanceId,
    'i-0d6f1c2a5f3e4b8e9',
  );
});
