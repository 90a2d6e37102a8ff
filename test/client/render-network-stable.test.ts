// One network_data.json, the same NICs in every generation (20.4 to 26.2): bonds whose link ids are not
// "bondN" keep cloud-init's bond0, bond1 … names (26.1 takes a bond's name from the link's `name`, which vmmeta
// never writes), MACs are lower case, only link types every generation knows (phy, bond, vlan), and no MAC the
// guest lacks on a bond (20.4 copies a bond's MAC onto its members).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStackNetworkData } from '../../src/render/openstack-network.js';
import { stableJson } from '../../src/render/tree.js';
import { cloudInitClient, runCloudInitPython, SUITES } from '../helpers/cloud-init.js';
import { resolve } from '../helpers/vm-fixtures.js';

const CONVERT = String.raw`
import sys, json
from cloudinit.sources.helpers import openstack
print(json.dumps(openstack.convert_net_json(json.load(open(sys.argv[1])), known_macs=json.loads(sys.argv[2]))))
`;

const MACS: Record<string, string> = {
  '52:54:00:ab:00:01': 'ens3',
  '52:54:00:ab:00:02': 'ens4',
  '52:54:00:ab:00:03': 'ens5',
  '52:54:00:ab:00:04': 'ens6',
};

// Upper-case MACs in the spec; two bonds named neither bond0 nor bond1.
const vm = resolve({
  name: 'stable',
  network: {
    links: [
      { id: 'a', type: 'physical', mac: '52:54:00:AB:00:01' },
      { id: 'b', type: 'physical', mac: '52:54:00:AB:00:02' },
      { id: 'c', type: 'physical', mac: '52:54:00:AB:00:03' },
      { id: 'd', type: 'physical', mac: '52:54:00:AB:00:04' },
      { id: 'storage', type: 'bond', mac: '52:54:00:AB:00:01', mode: 'active-backup', members: ['a', 'b'] },
      { id: 'uplink', type: 'bond', mac: '52:54:00:AB:00:03', mode: 'active-backup', members: ['c', 'd'] },
      { id: 'v7', type: 'vlan', mac: '52:54:00:AB:00:03', vlanId: 7, parent: 'uplink' },
    ],
    networks: [
      { link: 'storage', type: 'ipv4', address: '10.0.1.5/24' },
      { link: 'v7', type: 'ipv4', address: '10.0.7.5/24' },
    ],
  },
});

test('network_data.json: lower-case MACs, only phy/bond/vlan, no link name, no bond MAC outside its members', () => {
  const nd = openStackNetworkData(vm) as { links: Array<Record<string, unknown>> };
  assert.deepEqual([...new Set(nd.links.map((l) => l.type))].sort(), ['bond', 'phy', 'vlan']);
  for (const l of nd.links) {
    assert.equal('name' in l, false, `link ${l.id} has a name: 26.1+ would use it, older generations would not`);
    for (const k of ['ethernet_mac_address', 'vlan_mac_address'])
      if (typeof l[k] === 'string') assert.equal(l[k], (l[k] as string).toLowerCase());
  }
  const phyMacs = new Set(nd.links.filter((l) => l.type === 'phy').map((l) => l.ethernet_mac_address));
  for (const l of nd.links.filter((x) => x.type === 'bond' && x.ethernet_mac_address))
    assert.ok(phyMacs.has(l.ethernet_mac_address), `bond ${l.id} MAC`);
});

for (const suite of SUITES) {
  test(`${suite}: the same interface names, MACs, bonds and VLAN from one network_data.json`, () => {
    const client = cloudInitClient(suite);
    const dir = mkdtempSync(join(tmpdir(), 'vmmeta-stable-'));
    try {
      const file = join(dir, 'network_data.json');
      writeFileSync(file, stableJson(openStackNetworkData(vm)));
      const res = runCloudInitPython(client, CONVERT, [file, JSON.stringify(MACS)]);
      assert.equal(res.status, 0, res.stderr);
      const cfg = (JSON.parse(res.stdout) as { config: Array<Record<string, any>> }).config.filter(
        (c) => c.type !== 'nameserver',
      );
      const seen = cfg.map((c) => [c.type, c.name, c.mac_address ?? null, c.bond_interfaces ?? c.vlan_link ?? null]);
      assert.deepEqual(
        seen,
        [
          ['physical', 'ens3', '52:54:00:ab:00:01', null],
          ['physical', 'ens4', '52:54:00:ab:00:02', null],
          ['physical', 'ens5', '52:54:00:ab:00:03', null],
          ['physical', 'ens6', '52:54:00:ab:00:04', null],
          ['bond', 'bond0', null, ['ens3', 'ens4']],
          ['bond', 'bond1', null, ['ens5', 'ens6']],
          ['vlan', 'bond1.7', '52:54:00:ab:00:03', 'bond1'],
        ],
        JSON.stringify(cfg),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
