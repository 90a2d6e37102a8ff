// The renderers other distribution families use, run by the real client (`cloud-init devel net-convert
// --output-kind … --distro …`) on the three-NIC example's network_data.json, with the 22.4, 25.1 and 26.2
// clients: sysconfig (rhel, centos, rocky, fedora), NetworkManager keyfiles, netplan (ubuntu). The files are
// parsed and their fields compared with the spec: every NIC and MAC, the bond and its members, the VLAN, both
// static addresses, both gateways, the extra route and its metric, every DNS server and search domain.
// Generation differences are pinned; networkd and ENI are checked in render-network.test.ts.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { openStackNetworkData } from '../../src/render/openstack-network.js';
import { stableJson } from '../../src/render/tree.js';
import {
  cloudInitClient,
  suiteAtLeast,
  type CloudInitClient,
  type Suite,
  cloudInitEnv,
} from '../helpers/cloud-init.js';
import { loadExample } from '../helpers/render-io.js';

const SUITES_HERE: Suite[] = ['bookworm', 'trixie', 'sid'];
const MACS = { ens3: '52:54:00:12:34:01', ens4: '52:54:00:12:34:02', ens5: '52:54:00:12:34:03' };
const VLAN = 'bond0.100';
const DNS = ['192.0.2.53', '2001:db8:100::53'];
const SEARCH = ['example.net', 'corp.example.net'];

function netConvert(client: CloudInitClient, input: string, output: string, distro: string, dir: string): string {
  const out = mkdtempSync(join(dir, `${output}-${distro}-`));
  const macs = Object.entries(MACS).flatMap(([name, mac]) => ['-m', `${name},${mac}`]);
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
      'network_data.json',
      '-d',
      out,
      '-D',
      distro,
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
  assert.equal(res.status, 0, `${client.suite} ${output} ${distro}: ${res.stderr}`);
  return out;
}

// ifcfg-* and route-*: shell assignments, values optionally double-quoted.
export function parseShellVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}

// NetworkManager keyfiles: INI sections of key=value.
export function parseKeyfile(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) out[(section = s[1]!)] ??= {};
    else if (section) {
      const i = line.indexOf('=');
      out[section]![line.slice(0, i)] = line.slice(i + 1);
    }
  }
  return out;
}

const list = (v: string | undefined): string[] => (v ?? '').split(';').filter(Boolean);

async function networkDataFile(dir: string): Promise<string> {
  const file = join(dir, 'network_data.json');
  writeFileSync(file, stableJson(openStackNetworkData(await loadExample('three-nic'))));
  return file;
}

for (const suite of SUITES_HERE) {
  for (const distro of ['rhel', 'centos', 'rocky', 'fedora']) {
    test(`${suite}: sysconfig for ${distro} carries every NIC, MAC, bond, VLAN, address, route and resolver`, async () => {
      const client = cloudInitClient(suite);
      const dir = mkdtempSync(join(tmpdir(), 'vmmeta-sysconfig-'));
      try {
        const out = netConvert(client, await networkDataFile(dir), 'sysconfig', distro, dir);
        const scripts = join(out, 'etc/sysconfig/network-scripts');
        const f = (name: string) => parseShellVars(readFileSync(join(scripts, name), 'utf8'));
        assert.deepEqual(
          readdirSync(scripts)
            .filter((n) => n.startsWith('ifcfg-'))
            .sort(),
          ['ifcfg-bond0', `ifcfg-${VLAN}`, 'ifcfg-ens3', 'ifcfg-ens4', 'ifcfg-ens5'],
        );
        assert.equal(f('ifcfg-ens3').BOOTPROTO, 'dhcp');
        for (const [nic, mac] of Object.entries(MACS))
          assert.equal(f(`ifcfg-${nic}`).HWADDR?.toLowerCase(), mac, `${nic} HWADDR`);
        for (const nic of ['ens4', 'ens5'])
          assert.deepEqual(
            [f(`ifcfg-${nic}`).MASTER, f(`ifcfg-${nic}`).SLAVE, f(`ifcfg-${nic}`).MTU],
            ['bond0', 'yes', '9000'],
            nic,
          );
        const bond = f('ifcfg-bond0');
        assert.deepEqual([bond.TYPE, bond.MTU, bond.BONDING_MASTER], ['Bond', '9000', 'yes']);
        assert.deepEqual(bond.BONDING_OPTS?.split(' ').sort(), ['miimon=100', 'mode=active-backup']);
        const vlan = f(`ifcfg-${VLAN}`);
        assert.deepEqual(
          {
            VLAN: vlan.VLAN,
            PHYSDEV: vlan.PHYSDEV,
            IPADDR: vlan.IPADDR,
            NETMASK: vlan.NETMASK,
            GATEWAY: vlan.GATEWAY,
            IPV6ADDR: vlan.IPV6ADDR,
            IPV6_DEFAULTGW: vlan.IPV6_DEFAULTGW,
            DNS1: vlan.DNS1,
            DNS2: vlan.DNS2,
            DOMAIN: vlan.DOMAIN,
          },
          {
            VLAN: 'yes',
            PHYSDEV: 'bond0',
            IPADDR: '192.0.2.10',
            NETMASK: '255.255.255.0',
            GATEWAY: '192.0.2.1',
            IPV6ADDR: '2001:db8:100::10/64',
            IPV6_DEFAULTGW: '2001:db8:100::1',
            DNS1: DNS[0],
            DNS2: DNS[1],
            DOMAIN: SEARCH.join(' '),
          },
        );
        const route = f(`route-${VLAN}`);
        assert.deepEqual(
          [route.ADDRESS0, route.NETMASK0, route.GATEWAY0, route.METRIC0],
          ['198.51.100.0', '255.255.255.0', '192.0.2.254', '100'],
        );
        const resolv = readFileSync(join(out, 'etc/resolv.conf'), 'utf8');
        for (const s of DNS) assert.match(resolv, new RegExp(`^nameserver ${s}$`, 'm'));
        // Pinned: 22.4 writes no search line to resolv.conf (the ifcfg DOMAIN still has both); 25.1+ does.
        assert.equal(new RegExp(`^search ${SEARCH.join(' ')}$`, 'm').test(resolv), suiteAtLeast(suite, '25.1'), resolv);
        // Pinned: 22.4 marks every ifcfg NM_CONTROLLED=no; 25.1 and 26.2 leave that to NetworkManager's ifcfg-rh.
        assert.equal(f('ifcfg-ens3').NM_CONTROLLED, suiteAtLeast(suite, '25.1') ? undefined : 'no');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test(`${suite}: NetworkManager keyfiles carry every NIC, MAC, bond, VLAN, address, route and resolver`, async () => {
    const client = cloudInitClient(suite);
    const dir = mkdtempSync(join(tmpdir(), 'vmmeta-nm-'));
    try {
      const out = netConvert(client, await networkDataFile(dir), 'network-manager', 'fedora', dir);
      const conns = join(out, 'etc/NetworkManager/system-connections');
      const k = (name: string) => parseKeyfile(readFileSync(join(conns, `cloud-init-${name}.nmconnection`), 'utf8'));
      assert.deepEqual(
        readdirSync(conns).sort(),
        ['bond0', VLAN, 'ens3', 'ens4', 'ens5'].map((n) => `cloud-init-${n}.nmconnection`).sort(),
      );
      for (const [nic, mac] of Object.entries(MACS))
        assert.equal(k(nic).ethernet?.['mac-address']?.toLowerCase(), mac, `${nic} mac-address`);
      assert.equal(k('ens3').ipv4?.method, 'auto');
      const bond = k('bond0');
      assert.equal(bond.connection?.type, 'bond');
      for (const nic of ['ens4', 'ens5']) {
        assert.deepEqual(
          [k(nic).connection?.['slave-type'], k(nic).connection?.master, k(nic).ethernet?.mtu],
          ['bond', bond.connection?.uuid, '9000'],
          nic,
        );
      }
      const vlan = k(VLAN);
      assert.deepEqual(
        [vlan.connection?.type, vlan.vlan?.id, vlan.vlan?.parent],
        ['vlan', '100', bond.connection?.uuid],
      );
      assert.deepEqual(
        [vlan.ipv4?.method, vlan.ipv4?.address1, vlan.ipv6?.address1],
        ['manual', '192.0.2.10/24', '2001:db8:100::10/64'],
      );
      const routes4 = Object.entries(vlan.ipv4 ?? {})
        .filter(([key]) => /^route\d+$/.test(key))
        .map(([, v]) => v);
      const routes6 = Object.entries(vlan.ipv6 ?? {})
        .filter(([key]) => /^route\d+$/.test(key))
        .map(([, v]) => v);
      assert.ok(routes6.includes('::/0,2001:db8:100::1'), `IPv6 default route: ${routes6}`);
      assert.deepEqual(new Set([...list(vlan.ipv4?.dns), ...list(vlan.ipv6?.dns)]), new Set(DNS));
      assert.deepEqual(new Set(list(vlan.ipv4?.['dns-search'])), new Set(SEARCH));
      if (suiteAtLeast(suite, '25.1')) {
        // Pinned: 25.1+ writes the bond's mode and MTU, the route metric and the VLAN's IPv6 as manual.
        assert.deepEqual(
          [bond.bond?.mode, bond.bond?.miimon, bond.ethernet?.mtu, vlan.ipv6?.method],
          ['active-backup', '100', '9000', 'manual'],
        );
        assert.deepEqual(routes4.sort(), ['0.0.0.0/0,192.0.2.1', '198.51.100.0/24,192.0.2.254,100']);
      } else {
        // Pinned, 22.4: the bond keyfile has no mode (NetworkManager's default is balance-rr), no MTU, the route
        // loses its metric, and the VLAN's IPv6 method is auto.
        assert.deepEqual(
          [bond.bond?.mode, bond.bond?.miimon, bond.ethernet?.mtu, vlan.ipv6?.method],
          [undefined, '100', undefined, 'auto'],
        );
        assert.deepEqual(routes4.sort(), ['0.0.0.0/0,192.0.2.1', '198.51.100.0/24,192.0.2.254']);
      }
      // Pinned (the issue's "duplicate resolvers"): VM-wide DNS sits on both networks of the VLAN, and every
      // generation repeats it per network in the keyfile.
      assert.deepEqual(list(vlan.ipv4?.dns), [DNS[0], DNS[0]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${suite}: netplan for ubuntu carries every NIC, MAC, bond, VLAN, address, route and resolver`, async () => {
    const client = cloudInitClient(suite);
    const dir = mkdtempSync(join(tmpdir(), 'vmmeta-netplan-'));
    try {
      const out = netConvert(client, await networkDataFile(dir), 'netplan', 'ubuntu', dir);
      const np = parse(readFileSync(join(out, 'etc/netplan/50-cloud-init.yaml'), 'utf8')).network;
      for (const [nic, mac] of Object.entries(MACS)) assert.equal(np.ethernets[nic]?.match?.macaddress, mac, nic);
      assert.equal(np.ethernets.ens3.dhcp4, true);
      const bond = np.bonds.bond0;
      assert.deepEqual(
        [bond.interfaces.sort(), bond.mtu, bond.parameters.mode, String(bond.parameters['mii-monitor-interval'])],
        [['ens4', 'ens5'], 9000, 'active-backup', '100'],
      );
      const vlan = np.vlans[VLAN];
      assert.deepEqual([vlan.id, vlan.link], [100, 'bond0']);
      assert.deepEqual(vlan.addresses.sort(), ['192.0.2.10/24', '2001:db8:100::10/64']);
      const routes = (vlan.routes ?? []).map(
        (r: { to: string; via: string; metric?: number }) =>
          `${r.to} via ${r.via}${r.metric ? ` metric ${r.metric}` : ''}`,
      );
      assert.ok(routes.includes('198.51.100.0/24 via 192.0.2.254 metric 100'), `routes: ${routes}`);
      const defaults = [
        ...routes,
        vlan.gateway4 && `0.0.0.0/0 via ${vlan.gateway4}`,
        vlan.gateway6 && `::/0 via ${vlan.gateway6}`,
      ].filter(Boolean);
      assert.ok(
        defaults.some((r: string) => /^(0\.0\.0\.0\/0|default) via 192\.0\.2\.1$/.test(r)),
        `IPv4 default: ${defaults}`,
      );
      assert.ok(
        defaults.some((r: string) => /^(::\/0|default) via 2001:db8:100::1$/.test(r)),
        `IPv6 default: ${defaults}`,
      );
      assert.deepEqual(new Set(vlan.nameservers.addresses), new Set(DNS));
      assert.deepEqual(new Set(vlan.nameservers.search), new Set(SEARCH));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
