// The real client turns the three-NIC example's network documents into guest configuration: convert_net_json
// (what DataSourceOpenStack/ConfigDrive run on network_data.json) and `cloud-init devel net-convert` from both
// network_data.json and NoCloud's network-config into ENI, netplan and networkd, for each Debian suite. Every NIC
// (by name and MAC), address, route and DNS server of the spec must come out. Differences between generations
// are pinned, so a change in the client is noticed.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStackNetworkData } from '../../src/render/openstack-network.js';
import { renderNoCloud } from '../../src/render/nocloud.js';
import { stableJson } from '../../src/render/tree.js';
import {
  cloudInitClient,
  suiteAtLeast,
  runCloudInitPython,
  SUITES,
  type CloudInitClient,
  cloudInitEnv,
} from '../helpers/cloud-init.js';
import { loadExample } from '../helpers/render-io.js';

// Guest NIC names that differ from the spec's link ids: network_data.json must not rely on the ids.
const KNOWN_MACS: Record<string, string> = {
  '52:54:00:12:34:01': 'ens3',
  '52:54:00:12:34:02': 'ens4',
  '52:54:00:12:34:03': 'ens5',
};
const ADDRESSES = ['192.0.2.10', '2001:db8:100::10'];
const GATEWAYS = ['192.0.2.1', '2001:db8:100::1'];
const ROUTE = { network: '198.51.100.0', gateway: '192.0.2.254' };
const DNS = ['192.0.2.53', '2001:db8:100::53'];
const SEARCH = ['example.net', 'corp.example.net'];

const CONVERT = String.raw`
import sys, json
from cloudinit.sources.helpers import openstack
nd = json.load(open(sys.argv[1]))
print(json.dumps(openstack.convert_net_json(nd, known_macs=json.loads(sys.argv[2]))))
`;

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'vmmeta-net-'));
}

for (const suite of SUITES) {
  test(`${suite}: convert_net_json maps every NIC, the bond, the VLAN, addresses, routes and DNS`, async () => {
    const client = cloudInitClient(suite);
    const vm = await loadExample('three-nic');
    const dir = scratch();
    try {
      const file = join(dir, 'network_data.json');
      writeFileSync(file, stableJson(openStackNetworkData(vm)));
      const res = runCloudInitPython(client, CONVERT, [file, JSON.stringify(KNOWN_MACS)]);
      assert.equal(res.status, 0, res.stderr);
      const cfg = JSON.parse(res.stdout) as { version: number; config: any[] };
      assert.equal(cfg.version, 1);
      const byName = new Map(cfg.config.filter((c) => c.name).map((c) => [c.name, c]));
      for (const [mac, name] of Object.entries(KNOWN_MACS)) {
        assert.equal(byName.get(name)?.type, 'physical', name);
        assert.equal(byName.get(name)?.mac_address, mac, name);
      }
      assert.deepEqual(
        byName.get('ens3').subnets.map((s: any) => s.type),
        ['dhcp4'],
      );
      const bond = byName.get('bond0');
      assert.equal(bond.type, 'bond');
      assert.deepEqual(bond.bond_interfaces, ['ens4', 'ens5']);
      // Pinned: 20.4 and 22.4 pass bond_* keys through untranslated; 25.1 and 26.2 (upstream >= 24.2) say bond-*.
      const modeKey = suiteAtLeast(suite, '25.1') ? 'bond-mode' : 'bond_mode';
      assert.equal(bond.params[modeKey], 'active-backup', JSON.stringify(bond.params));
      const vlan = byName.get('bond0.100');
      assert.equal(vlan.type, 'vlan');
      assert.equal(vlan.vlan_id, 100);
      assert.equal(vlan.vlan_link, 'bond0');
      const subnets = vlan.subnets as any[];
      assert.deepEqual(
        subnets.map((s) => [s.type, s.address]),
        [
          ['static', ADDRESSES[0]],
          ['static6', ADDRESSES[1]],
        ],
      );
      const routes = subnets.flatMap((s) => s.routes ?? []);
      for (const gw of GATEWAYS)
        assert.ok(
          routes.some((r) => r.gateway === gw && ['0.0.0.0', '::'].includes(r.network)),
          `default via ${gw}`,
        );
      assert.ok(routes.some((r) => r.network === ROUTE.network && r.gateway === ROUTE.gateway && r.metric === 100));
      // Resolvers: globally (top-level services) and on the interface (dns_nameservers), with the search list.
      const ns = cfg.config.filter((c) => c.type === 'nameserver').map((c) => c.address);
      assert.deepEqual(ns, DNS);
      assert.deepEqual(subnets[0].dns_nameservers, DNS);
      assert.deepEqual(subnets[0].dns_search, SEARCH);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

function netConvert(
  client: CloudInitClient,
  input: string,
  kind: string,
  output: string,
  dir: string,
): { status: number | null; stderr: string; text: string; files: string[] } {
  const out = join(dir, `${kind}-${output}`);
  const macs = Object.entries(KNOWN_MACS).flatMap(([mac, name]) => ['-m', `${name},${mac}`]);
  const res = spawnSync(
    '/usr/bin/python3',
    [
      '-m',
      'cloudinit.cmd.main',
      'devel',
      'net-convert',
      '-p',
      input,
      '-k',
      kind,
      '-d',
      out,
      '-D',
      'debian',
      '-O',
      output,
      ...macs,
    ],
    {
      cwd: '/',
      encoding: 'utf8',
      timeout: 60_000,
      env: cloudInitEnv(client),
    },
  );
  const files: string[] = [];
  const walk = (d: string): void => {
    let entries: string[] = [];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries.sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(out);
  return {
    status: res.status,
    stderr: res.stderr,
    text: files.map((f) => readFileSync(f, 'utf8')).join('\n'),
    files: files.map((f) => f.slice(out.length)),
  };
}

const OUTPUTS = ['eni', 'netplan', 'networkd'] as const;

for (const suite of SUITES) {
  for (const kind of ['network_data.json', 'yaml'] as const) {
    test(`${suite}: net-convert ${kind} -> ENI, netplan, networkd names every NIC, address, route and DNS server`, async () => {
      const client = cloudInitClient(suite);
      const vm = await loadExample('three-nic');
      const dir = scratch();
      try {
        const input = join(dir, kind === 'yaml' ? 'network-config' : 'network_data.json');
        writeFileSync(
          input,
          kind === 'yaml' ? renderNoCloud(vm).get('network-config')! : stableJson(openStackNetworkData(vm)),
        );
        // network_data.json keeps the guest's names (known MACs); NoCloud v2 names NICs after the link ids.
        const names =
          kind === 'yaml'
            ? ['eth0', 'eth1', 'eth2', 'bond0', 'vlan100']
            : ['ens3', 'ens4', 'ens5', 'bond0', 'bond0.100'];
        for (const output of OUTPUTS) {
          const r = netConvert(client, input, kind, output, dir);
          if (suite === 'bullseye' && output === 'networkd') {
            // Pinned: 20.4's net-convert has no networkd renderer (choices eni, netplan, sysconfig).
            assert.equal(r.status, 2);
            assert.match(r.stderr, /invalid choice: 'networkd'/);
            continue;
          }
          assert.equal(r.status, 0, `${output}: ${r.stderr}`);
          const label = `${suite} ${kind} -> ${output}`;
          for (const name of names) {
            // Up to 25.1 the networkd renderer writes .network files only: bonds and VLANs appear as [Match]
            // names but get no .netdev (pinned below).
            assert.ok(r.text.includes(name), `${label}: NIC ${name}`);
          }
          // ENI carries the MACs in the udev rules net-convert writes next to it.
          for (const mac of Object.keys(KNOWN_MACS))
            assert.ok(r.text.toLowerCase().includes(mac), `${label}: MAC ${mac}`);
          for (const a of [...ADDRESSES, ...GATEWAYS, ROUTE.network, ROUTE.gateway, ...DNS, ...SEARCH])
            assert.ok(r.text.includes(a), `${label}: ${a}`);
          // Never the ::/64 route older generations make of a v2 `::/0` (vmmeta writes gateway6 instead).
          assert.ok(!r.text.includes('::/64 gw'), `${label}: bogus IPv6 default route`);
          // Pinned: a route metric survives network_data.json everywhere, but NoCloud v2 -> ENI/networkd only on
          // 25.1 (20.4/22.4's v2 -> v1 conversion drops it; netplan output passes v2 through).
          const metric = { eni: 'metric 100', netplan: 'metric: 100', networkd: 'Metric=100' }[output];
          const keepsMetric = kind === 'network_data.json' || output === 'netplan' || suiteAtLeast(suite, '25.1');
          assert.equal(r.text.includes(metric), keepsMetric, `${label}: route metric`);
          // Pinned: 22.4 and 25.1 render v2 nameservers on ENI with an extra `dns {…}` option line; 20.4 and 26.2 do not.
          const dnsLine = suite === 'bookworm' || suite === 'trixie';
          if (kind === 'yaml' && output === 'eni')
            assert.equal(r.text.includes("dns {'nameservers'"), dnsLine, `${label}: dns line`);
          // Pinned: up to 25.1 the networkd renderer writes .network files only (bond and VLAN get no .netdev);
          // 26.1 added v1 bonds and VLANs, so 26.2 writes a .netdev for each.
          if (output === 'networkd') {
            const netdevs = r.files
              .filter((f) => f.endsWith('.netdev'))
              .map((f) => f.replace(/^.*10-cloud-init-|\.netdev$/g, ''))
              .sort();
            const want = suiteAtLeast(suite, '26.2')
              ? kind === 'yaml'
                ? ['bond0', 'vlan100']
                : ['bond0', 'bond0.100']
              : [];
            assert.deepEqual(netdevs, want, `${label}: ${r.files.join(', ')}`);
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}
