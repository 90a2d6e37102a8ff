import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { renderOpenStackDisk, renderOpenStackHttp } from '../../../src/render/openstack.js';
import { openStackMetaData } from '../../../src/render/openstack-meta.js';
import { derivedNetworkId, openStackNetworkData } from '../../../src/render/openstack-network.js';
import { OPENSTACK_DATES, OPENSTACK_LATEST, OPENSTACK_VERSIONS } from '../../../src/render/versions.js';
import { ec2OnlyVm, minimalVm, resolve, threeNicVm, FIXED_UUID, ED25519 } from '../../helpers/vm-fixtures.js';
import { text } from '../../helpers/render-lookup.js';

const json = (b: Uint8Array | undefined): Record<string, any> => JSON.parse(text(b)!);

test("versions are Nova's, oldest first, and latest is the newest", () => {
  assert.deepEqual(OPENSTACK_DATES, [
    '2012-08-10',
    '2013-04-04',
    '2013-10-17',
    '2015-10-15',
    '2016-06-30',
    '2016-10-06',
    '2017-02-22',
    '2018-08-27',
    '2020-10-14',
    '2025-04-04',
  ]);
  assert.equal(OPENSTACK_LATEST, '2025-04-04');
  assert.ok(OPENSTACK_VERSIONS.every((v) => v.adds.length > 0));
});

test('meta_data.json keys are gated by version exactly as Nova gates them', () => {
  const vm = threeNicVm();
  const keysAt = (v: (typeof OPENSTACK_DATES)[number]) => Object.keys(openStackMetaData(vm, v)).sort();
  const base = ['availability_zone', 'hostname', 'keys', 'launch_index', 'meta', 'name', 'public_keys', 'uuid'];
  assert.deepEqual(keysAt('2012-08-10'), base);
  assert.deepEqual(keysAt('2013-04-04'), [...base, 'random_seed'].sort());
  assert.deepEqual(keysAt('2013-10-17'), [...base, 'random_seed'].sort());
  assert.deepEqual(keysAt('2015-10-15'), [...base, 'random_seed', 'project_id'].sort());
  assert.deepEqual(keysAt('2016-06-30'), [...base, 'random_seed', 'project_id', 'devices'].sort());
  assert.deepEqual(keysAt('2020-10-14'), [...base, 'random_seed', 'project_id', 'devices', 'dedicated_cpus'].sort());
  // vlan on nic devices only from Ocata (2017-02-22) on.
  assert.equal((openStackMetaData(vm, '2016-10-06').devices as any[])[0].vlan, undefined);
  assert.equal((openStackMetaData(vm, '2017-02-22').devices as any[])[0].vlan, 100);
});

test('meta_data.json carries the spec values; hostname has no .novalocal suffix; keys in both forms', () => {
  const md = openStackMetaData(threeNicVm(), '2018-08-27');
  assert.equal(md.uuid, FIXED_UUID);
  assert.equal(md.hostname, 'router-1.example.net');
  assert.equal(md.name, 'router-1');
  assert.equal(md.launch_index, 0);
  assert.equal(md.availability_zone, 'nova');
  assert.deepEqual(Object.keys(md.public_keys as object), ['ops', 'backup']);
  assert.deepEqual(
    (md.keys as any[]).map((k) => [k.name, k.type]),
    [
      ['ops', 'ssh'],
      ['backup', 'ssh'],
    ],
  );
  assert.equal(Buffer.from(md.random_seed as string, 'base64').length, 512);
  assert.equal(openStackMetaData(minimalVm(), '2018-08-27').hostname, 'web-1');
});

test('admin_pass appears only in the config drive copy', () => {
  const vm = threeNicVm();
  assert.equal(openStackMetaData(vm, '2018-08-27').admin_pass, undefined);
  assert.equal(openStackMetaData(vm, '2018-08-27', { configDrive: true }).admin_pass, 's3cr3t');
  const http = json(renderOpenStackHttp(vm).get('/openstack/latest/meta_data.json'));
  assert.equal(http.admin_pass, undefined);
  assert.equal(
    json(renderOpenStackDisk(vm, { configDrive: true }).get('openstack/latest/meta_data.json')).admin_pass,
    's3cr3t',
  );
});

test("listings follow Nova's order, are newline-joined and have no trailing newline", () => {
  const t = renderOpenStackHttp(threeNicVm());
  assert.equal(text(t.get('/openstack/')), [...OPENSTACK_DATES, 'latest'].join('\n'));
  assert.equal(text(t.get('/openstack/2012-08-10/')), 'meta_data.json\nuser_data');
  assert.equal(text(t.get('/openstack/2013-04-04/')), 'meta_data.json\nuser_data\npassword');
  assert.equal(text(t.get('/openstack/2013-10-17/')), 'meta_data.json\nuser_data\npassword\nvendor_data.json');
  assert.equal(
    text(t.get('/openstack/2015-10-15/')),
    'meta_data.json\nuser_data\npassword\nvendor_data.json\nnetwork_data.json',
  );
  assert.equal(
    text(t.get('/openstack/latest/')),
    'meta_data.json\nuser_data\npassword\nvendor_data.json\nnetwork_data.json\nvendor_data2.json',
  );
  for (const [path, bytes] of t) if (path.endsWith('/')) assert.ok(!text(bytes)!.endsWith('\n'), path);
});

test('every listed file exists, and latest equals the newest version byte for byte', () => {
  const t = renderOpenStackHttp(threeNicVm());
  for (const dir of [...OPENSTACK_DATES, 'latest']) {
    for (const name of text(t.get(`/openstack/${dir}/`))!.split('\n'))
      assert.ok(t.has(`/openstack/${dir}/${name}`), `${dir}/${name}`);
  }
  const newest = [...t].filter(([p]) => p.startsWith(`/openstack/${OPENSTACK_LATEST}/`));
  for (const [p, b] of newest) assert.deepEqual(t.get(p.replace(OPENSTACK_LATEST, 'latest')), b, p);
});

test('user_data is exact bytes and absent (not listed) when there is none', () => {
  const bytes = Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x0a, 0x0d, 0x0a]);
  const t = renderOpenStackHttp(resolve({ name: 'gz' }, bytes));
  assert.deepEqual(t.get('/openstack/latest/user_data'), bytes);
  const none = renderOpenStackHttp(ec2OnlyVm());
  assert.equal(none.has('/openstack/latest/user_data'), false);
  assert.ok(!text(none.get('/openstack/latest/'))!.split('\n').includes('user_data'));
});

test('no networks: network_data.json is neither rendered nor listed (a {} would leave the guest offline)', () => {
  const vm = minimalVm();
  assert.equal(openStackNetworkData(vm), null);
  const t = renderOpenStackHttp(vm);
  assert.equal(t.has('/openstack/latest/network_data.json'), false);
  assert.ok(!text(t.get('/openstack/latest/'))!.includes('network_data.json'));
  assert.equal(
    [...renderOpenStackDisk(vm).keys()].some((p) => p.endsWith('network_data.json')),
    false,
  );
});

test('network_data.json: links, networks, routes, DNS in both places', () => {
  const nd = openStackNetworkData(threeNicVm()) as any;
  assert.deepEqual(
    nd.links.map((l: any) => [l.id, l.type]),
    [
      ['eth0', 'phy'],
      ['eth1', 'phy'],
      ['bond0', 'bond'],
      ['vlan100', 'vlan'],
      ['eth2', 'phy'],
    ],
  );
  assert.deepEqual(nd.links[0], { id: 'eth0', type: 'phy', ethernet_mac_address: '52:54:00:00:00:01', mtu: 9000 });
  assert.deepEqual(nd.links[2], {
    id: 'bond0',
    type: 'bond',
    bond_mode: '802.3ad',
    bond_links: ['eth0', 'eth1'],
    bond_miimon: 100,
    bond_xmit_hash_policy: 'layer3+4',
    mtu: 9000,
  });
  // A bond MAC other than its first member's is kept.
  const other = resolve({
    name: 'b',
    network: {
      links: [
        { id: 'a', type: 'physical', mac: '52:54:00:00:00:0a' },
        { id: 'b0', type: 'bond', mac: '52:54:00:00:00:0b', mode: 'active-backup', members: ['a'] },
      ],
    },
  });
  assert.equal((openStackNetworkData(other) as any).links[1].ethernet_mac_address, '52:54:00:00:00:0b');
  assert.deepEqual(nd.links[3], {
    id: 'vlan100',
    type: 'vlan',
    vlan_id: 100,
    vlan_link: 'bond0',
    vlan_mac_address: '52:54:00:00:01:00',
  });
  const [v4, v6, vlan, dhcp] = nd.networks;
  assert.deepEqual([v4.id, v6.id, vlan.id, dhcp.id], ['network0', 'network1', 'network2', 'network3']);
  assert.equal(v4.ip_address, '192.0.2.10');
  assert.equal(v4.netmask, '255.255.255.0');
  assert.deepEqual(v4.routes, [
    { network: '0.0.0.0', netmask: '0.0.0.0', gateway: '192.0.2.1' },
    { network: '198.51.100.0', netmask: '255.255.255.0', gateway: '192.0.2.254', metric: 50 },
  ]);
  // own resolvers first, then the VM-wide ones; as Nova's services and as cloud-init's dns_nameservers
  assert.deepEqual(v4.services, [
    { type: 'dns', address: '192.0.2.53' },
    { type: 'dns', address: '9.9.9.9' },
  ]);
  assert.deepEqual(v4.dns_nameservers, ['192.0.2.53', '9.9.9.9']);
  assert.deepEqual(v6.dns_nameservers, ['9.9.9.9']);
  assert.equal(v6.netmask, 'ffff:ffff:ffff:ffff::');
  assert.deepEqual(v6.routes, [{ network: '::', netmask: '::', gateway: '2001:db8:0:1::1' }]);
  assert.deepEqual(vlan.routes, [{ network: '10.200.0.0', netmask: '255.255.0.0', gateway: '10.100.0.1' }]);
  assert.deepEqual(Object.keys(dhcp).sort(), [
    'dns_nameservers',
    'dns_search',
    'id',
    'link',
    'network_id',
    'services',
    'type',
  ]);
  assert.deepEqual(nd.services, [
    { type: 'dns', address: '9.9.9.9' },
    { type: 'dns', address: '192.0.2.53' },
  ]);
  assert.deepEqual(v4.dns_search, ['example.net']);
  assert.equal(new Set(nd.networks.map((n: any) => n.network_id)).size, 4);
});

test('network ids are stable, UUID-shaped, distinct from the VM uuid, and wrap around', () => {
  assert.equal(derivedNetworkId('3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10', 0), '3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a11');
  assert.equal(derivedNetworkId('3bd1a0c4-5f3e-4b8e-9a51-ffffffffffff', 1), '3bd1a0c4-5f3e-4b8e-9a51-000000000001');
  assert.match(derivedNetworkId(FIXED_UUID, 7), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});

test('vendor data: {} when none; vendor_data2.json nests it under "static" only', () => {
  const none = renderOpenStackHttp(minimalVm());
  assert.equal(text(none.get('/openstack/latest/vendor_data.json')), '{}\n');
  assert.deepEqual(json(none.get('/openstack/latest/vendor_data2.json')), { static: {} });
  const vm = threeNicVm();
  const t = renderOpenStackHttp(vm);
  assert.deepEqual(json(t.get('/openstack/latest/vendor_data.json')), vm.vendorData);
  assert.deepEqual(json(t.get('/openstack/latest/vendor_data2.json')), { static: vm.vendorData });
});

test('the password endpoint is served empty over HTTP from 2013-04-04 on and never on disk', () => {
  const http = renderOpenStackHttp(minimalVm());
  assert.equal(http.has('/openstack/2012-08-10/password'), false);
  assert.equal(http.get('/openstack/2013-04-04/password')?.length, 0);
  assert.equal(
    [...renderOpenStackDisk(minimalVm()).keys()].some((p) => p.endsWith('/password')),
    false,
  );
});

test('rendering is deterministic and JSON has a trailing newline', () => {
  const a = renderOpenStackHttp(threeNicVm());
  const b = renderOpenStackHttp(threeNicVm());
  assert.deepEqual([...a], [...b]);
  assert.ok(text(a.get('/openstack/latest/meta_data.json'))!.endsWith('}\n'));
  assert.ok(text(a.get('/openstack/latest/meta_data.json'))!.includes(ED25519));
});
