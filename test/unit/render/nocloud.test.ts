import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parse } from 'yaml';
import { metaDataJson, renderNoCloud, renderNoCloudHttp } from '../../../src/render/nocloud.js';
import { ec2OnlyVm, minimalVm, resolve, threeNicVm, ED25519, RSA_KEY, FIXED_UUID } from '../../helpers/vm-fixtures.js';
import { text } from '../../helpers/render-lookup.js';

// PyYAML (what cloud-init uses) speaks YAML 1.1; read the files the same way.
const yaml11 = (b: Uint8Array | undefined) => parse(text(b)!, { version: '1.1' });

test('meta-data: JSON (CirrOS reads JSON, cloud-init YAML) with instance-id, local-hostname and keys ending in a newline', () => {
  const raw = text(renderNoCloud(threeNicVm()).get('meta-data'))!;
  const md = yaml11(renderNoCloud(threeNicVm()).get('meta-data'));
  assert.deepEqual(JSON.parse(raw), md);
  assert.deepEqual(md, {
    'instance-id': FIXED_UUID,
    'local-hostname': 'router-1.example.net',
    'availability-zone': 'nova',
    'public-keys': [`${ED25519}\n`, `${RSA_KEY}\n`],
  });
  assert.deepEqual(yaml11(renderNoCloud(resolve({ name: 'k' })).get('meta-data')), {
    'instance-id': FIXED_UUID,
    'local-hostname': 'k',
    'availability-zone': 'nova',
  });
});

test('values YAML 1.1 would misread are quoted: "no", digits-and-colons', () => {
  const vm = resolve({
    name: 'no',
    instanceId: '12:30',
    network: { links: [{ id: 'e0', type: 'physical', mac: '52:54:00:12:34:56' }] },
  });
  const md = yaml11(renderNoCloud(vm).get('meta-data'));
  assert.equal(md['local-hostname'], 'no');
  assert.equal(md['instance-id'], '12:30');
  const net = yaml11(renderNoCloud(vm).get('network-config'));
  assert.equal(net.ethernets.e0.match.macaddress, '52:54:00:12:34:56');
});

test('user-data is exact bytes, and an empty file when there is none (NoCloud needs both files)', () => {
  assert.deepEqual(renderNoCloud(minimalVm()).get('user-data'), minimalVm().userData);
  assert.equal(renderNoCloud(ec2OnlyVm()).get('user-data')?.length, 0);
});

test('vendor-data carries only a string "cloud-init" payload; the CD omits it otherwise', () => {
  assert.equal(text(renderNoCloud(threeNicVm()).get('vendor-data')), threeNicVm().vendorData!['cloud-init']);
  assert.equal(renderNoCloud(minimalVm()).has('vendor-data'), false);
  assert.equal(renderNoCloud(resolve({ name: 'x', vendorData: { other: 1 } })).has('vendor-data'), false);
});

test('network-config for nocloud: net: NICs matched by MAC but not renamed, since the fallback NIC is already up', () => {
  const vm = threeNicVm();
  const net = yaml11(renderNoCloud({ ...vm, datasource: { ...vm.datasource, nocloud: 'net' } }).get('network-config'));
  assert.deepEqual(net.ethernets.eth0, { match: { macaddress: '52:54:00:00:00:01' }, mtu: 9000 });
  assert.ok(
    Object.values(net.ethernets).every((e) => !('set-name' in (e as object))),
    JSON.stringify(net.ethernets),
  );
  assert.deepEqual(net.bonds.bond0.interfaces, ['eth0', 'eth1'], 'members still by their v2 ids');
});

test('network-config: v2 without a network: key; ethernets by MAC, bonds, vlans, addresses, routes, DNS', () => {
  const net = yaml11(renderNoCloud(threeNicVm()).get('network-config'));
  assert.equal(net.network, undefined);
  assert.equal(net.version, 2);
  assert.deepEqual(Object.keys(net.ethernets), ['eth0', 'eth1', 'eth2']);
  assert.deepEqual(net.ethernets.eth0, { match: { macaddress: '52:54:00:00:00:01' }, 'set-name': 'eth0', mtu: 9000 });
  assert.deepEqual(net.ethernets.eth2.dhcp4, true);
  assert.deepEqual(net.bonds.bond0.interfaces, ['eth0', 'eth1']);
  assert.deepEqual(net.bonds.bond0.parameters, {
    mode: '802.3ad',
    'mii-monitor-interval': '100',
    'transmit-hash-policy': 'layer3+4',
  });
  assert.deepEqual(net.bonds.bond0.addresses, ['192.0.2.10/24', '2001:db8:0:1::10/64']);
  assert.equal(net.bonds.bond0.gateway4, '192.0.2.1');
  assert.equal(net.bonds.bond0.gateway6, '2001:db8:0:1::1');
  assert.deepEqual(net.bonds.bond0.routes, [{ to: '198.51.100.0/24', via: '192.0.2.254', metric: 50 }]);
  assert.deepEqual(net.bonds.bond0.nameservers, { addresses: ['192.0.2.53', '9.9.9.9'], search: ['example.net'] });
  assert.deepEqual(net.vlans.vlan100, {
    id: 100,
    link: 'bond0',
    macaddress: '52:54:00:00:01:00',
    addresses: ['10.100.0.5/24'],
    routes: [{ to: '10.200.0.0/16', via: '10.100.0.1' }],
    nameservers: { addresses: ['9.9.9.9'], search: ['example.net'] },
  });
  assert.ok(!text(renderNoCloud(threeNicVm()).get('network-config'))!.includes('&'), 'no YAML anchors');
});

test('no links: no network-config file on the CD (cloud-init falls back to DHCP)', () => {
  assert.deepEqual([...renderNoCloud(minimalVm()).keys()], ['meta-data', 'user-data']);
});

test('HTTP seed serves every file (empty when none: nocloud-net retries 404s) and matches the CD byte for byte', () => {
  for (const vm of [minimalVm(), threeNicVm(), ec2OnlyVm()]) {
    const http = renderNoCloudHttp(vm);
    assert.equal(text(http.get('/nocloud/')), 'meta-data\nuser-data\nvendor-data\nnetwork-config');
    for (const name of ['meta-data', 'user-data', 'vendor-data', 'network-config'])
      assert.ok(http.has(`/nocloud/${name}`), name);
    for (const [path, bytes] of renderNoCloud(vm)) assert.deepEqual(http.get(`/nocloud/${path}`), bytes, path);
  }
  assert.equal(renderNoCloudHttp(minimalVm()).get('/nocloud/network-config')?.length, 0);
});

test('meta-data JSON escapes what PyYAML refuses literally (DEL, C1 controls), so yaml.safe_load still reads it', () => {
  const doc = metaDataJson({ 'availability-zone': 'a\u007fb\u0090c\u0085d' });
  assert.ok(!/[\u007f\u0090]/.test(doc), doc);
  assert.match(doc, /a\\u007fb\\u0090c\u0085d/);
  assert.equal(JSON.parse(doc)['availability-zone'], 'a\u007fb\u0090c\u0085d');
});
