// Every shipped example must load (as lima's CI validates its templates) and mean what its comments say.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { formatIssue } from '../../../src/spec/issues.js';
import { parseSpecText } from '../../../src/spec/parse.js';
import { loadSpecFile } from '../../../src/spec/load.js';
import { fromRepo } from './repo.js';

const dir = fromRepo('templates', 'examples');
const ids = { uuid: '3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10', randomSeed: 'c2VlZA==' };

test('the three required examples exist', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  for (const name of ['minimal.yaml', 'three-nic.yaml', 'ec2-only.yaml']) assert.ok(files.includes(name), name);
});

for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
  test(`example ${file} validates`, async () => {
    const loaded = await loadSpecFile(`${dir}/${file}`, { ids });
    assert.ok(loaded.vm.sshKeys.length >= 1, 'every example carries a key');
    const text = new TextDecoder().decode(loaded.vm.userData);
    assert.match(text, /^#cloud-config\n/, 'user-data is #cloud-config');
    for (const link of loaded.vm.network.links) assert.match(link.mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
  });
}

test('three-nic: a bond of two NICs with VLAN 100, static v4 and v6, DNS and search domains', async () => {
  const { vm } = await loadSpecFile(`${dir}/three-nic.yaml`, { ids });
  const { links, networks, dns } = vm.network;
  assert.deepEqual(
    links.filter((l) => l.type === 'physical').map((l) => l.id),
    ['eth0', 'eth1', 'eth2'],
  );
  const bond = links.find((l) => l.type === 'bond');
  assert.ok(bond && bond.type === 'bond' && bond.mode === 'active-backup');
  assert.deepEqual(bond.members, ['eth1', 'eth2']);
  const vlan = links.find((l) => l.type === 'vlan');
  assert.ok(vlan && vlan.type === 'vlan' && vlan.vlanId === 100 && vlan.parent === 'bond0');
  assert.deepEqual(
    networks.map((n) => [n.link, n.type]),
    [
      ['eth0', 'ipv4_dhcp'],
      ['vlan100', 'ipv4'],
      ['vlan100', 'ipv6'],
    ],
  );
  const v4 = networks[1]!;
  assert.ok(v4.type === 'ipv4' && v4.gateway === '192.0.2.1' && v4.routes.length === 1);
  assert.ok(dns.servers.length === 2 && dns.search.length === 2);
  assert.ok(vm.devices.some((d) => d.type === 'nic' && d.tags.length > 0));
  assert.ok(vm.vendorData && typeof vm.vendorData['cloud-init'] === 'string');
});

test('ec2-only: plain SMBIOS, no NoCloud CD, optional tokens, one DHCP NIC', async () => {
  const { vm } = await loadSpecFile(`${dir}/ec2-only.yaml`, { ids });
  assert.equal(vm.smbios.profile, 'plain');
  assert.equal(vm.datasource.nocloud, 'none');
  assert.equal(vm.imds.tokens, 'optional');
  assert.deepEqual(
    vm.network.networks.map((n) => n.type),
    ['ipv4_dhcp'],
  );
  assert.equal(vm.network.links.length, 1);
});

test('the YAML examples in docs/spec.md validate too', () => {
  const doc = readFileSync(fromRepo('docs', 'spec.md'), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 3, `${blocks.length} yaml blocks`);
  for (const block of blocks) {
    // Fragments (sshKeys:, network:) are completed with a name; the full example already has one.
    const text = /^name:/m.test(block) ? block : `name: doc-example\n${block}`;
    const r = parseSpecText(text, 'docs/spec.md');
    assert.ok(r.ok, `${block}\n${r.ok ? '' : r.issues.map(formatIssue).join('\n')}`);
  }
});
