import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatIssue } from '../../../src/spec/issues.js';
import { checkRules } from '../../../src/spec/rules.js';
import { listenProblem } from '../../../src/spec/listen.js';
import { SpecSchema, type SpecInput } from '../../../src/spec/schema.js';
import { KEYS } from './repo.js';

const lines = (input: SpecInput): string[] => checkRules(SpecSchema.parse(input)).map(formatIssue);
const phys = (id: string, last: number, extra: object = {}) => ({
  id,
  type: 'physical' as const,
  mac: `52:54:00:00:00:${String(last).padStart(2, '0')}`,
  ...extra,
});
const v4 = (link: string, address: string, extra: object = {}) => ({ link, type: 'ipv4' as const, address, ...extra });

test('a spec without cross-field problems has no issues', () => {
  assert.deepEqual(lines({ name: 'a', sshKeys: [{ name: 'k', key: KEYS.ed25519 }], userData: '#cloud-config\n' }), []);
});

test('a bond may share a member MAC and a VLAN its parent MAC; two physical NICs may not share', () => {
  const links = [
    phys('eth1', 2),
    phys('eth2', 3),
    {
      id: 'bond0',
      type: 'bond' as const,
      mac: '52:54:00:00:00:02',
      mode: 'active-backup' as const,
      members: ['eth1', 'eth2'],
    },
    { id: 'v100', type: 'vlan' as const, mac: '52:54:00:00:00:02', vlanId: 100, parent: 'bond0' },
    { id: 'v200', type: 'vlan' as const, mac: '52:54:00:00:00:02', vlanId: 200, parent: 'bond0' },
  ];
  assert.deepEqual(lines({ name: 'a', network: { links } }), []);
  assert.deepEqual(lines({ name: 'a', network: { links: [...links, phys('eth9', 2)] } }), [
    'network.links[5].mac: duplicates network.links[0].mac (52:54:00:00:00:02)',
  ]);
  // A VLAN on eth9 sharing the bond's MAC is not related to the bond.
  const stray = { id: 'v9', type: 'vlan' as const, mac: '52:54:00:00:00:02', vlanId: 9, parent: 'eth9' };
  assert.deepEqual(lines({ name: 'a', network: { links: [...links, phys('eth9', 9), stray] } }), [
    'network.links[6].mac: duplicates network.links[0].mac (52:54:00:00:00:02)',
  ]);
  // A bond with its second member's MAC: cloud-init 20.4 would copy it onto the first member too.
  const second = links.map((l) =>
    l.id === 'bond0' ? { ...l, mac: '52:54:00:00:00:03' } : l.type === 'vlan' ? { ...l, mac: '52:54:00:00:00:03' } : l,
  );
  assert.deepEqual(lines({ name: 'a', network: { links: second } }), [
    "network.links[2].mac: duplicates network.links[1].mac (52:54:00:00:00:03); a bond may reuse only its first member's MAC",
  ]);
  // MACs are compared after normalisation (upper case, dashes).
  assert.deepEqual(
    lines({ name: 'a', network: { links: [phys('a', 1), { ...phys('b', 1), mac: '52-54-00-00-00-01' }] } }),
    ['network.links[1].mac: duplicates network.links[0].mac (52:54:00:00:00:01)'],
  );
});

test('bond and VLAN structure', () => {
  const bond = (id: string, mac: number, members: string[]) => ({
    id,
    type: 'bond' as const,
    mac: `52:54:00:00:01:${mac}0`,
    mode: 'balance-rr' as const,
    members,
  });
  assert.deepEqual(lines({ name: 'a', network: { links: [phys('e1', 1), bond('b0', 1, ['e1', 'e1'])] } }), [
    'network.links[1].members[1]: "e1" is listed twice',
  ]);
  assert.deepEqual(
    lines({ name: 'a', network: { links: [phys('e1', 1), bond('b0', 1, ['e1']), bond('b1', 2, ['b0'])] } }),
    ['network.links[2].members[0]: "b0" is a bond; bond members must be physical links'],
  );
  const vlan = (id: string, parent: string, vlanId = 5) => ({
    id,
    type: 'vlan' as const,
    mac: '52:54:00:00:00:01',
    vlanId,
    parent,
  });
  assert.deepEqual(lines({ name: 'a', network: { links: [phys('e1', 1), vlan('v', 'e1'), vlan('w', 'v')] } }), [
    'network.links[2].parent: "v" is a vlan; a VLAN goes on a physical link or a bond',
  ]);
  assert.deepEqual(lines({ name: 'a', network: { links: [phys('e1', 1), vlan('v', 'e1'), vlan('w', 'e1')] } }), [
    'network.links[2].vlanId: duplicates network.links[1] (VLAN 5 on "e1")',
  ]);
  assert.deepEqual(
    lines({
      name: 'a',
      network: { links: [phys('e1', 1), phys('e2', 2), bond('b0', 1, ['e1', 'e2']), vlan('v', 'e2')] },
    }),
    ['network.links[3].parent: "e2" is a member of bond "b0"; put the VLAN on the bond'],
  );
  assert.deepEqual(
    lines({
      name: 'a',
      network: { links: [phys('e1', 1), bond('b0', 1, ['e1'])], networks: [{ link: 'e1', type: 'ipv4_dhcp' }] },
    }),
    ['network.networks[0].link: "e1" is a member of bond "b0"; put the network on the bond'],
  );
});

test('static addresses: host bits, family, gateway and routes', () => {
  const net = (n: object) => lines({ name: 'a', network: { links: [phys('eth0', 1)], networks: [n as never] } });
  assert.deepEqual(
    net(v4('eth0', '192.0.2.10/24', { gateway: '192.0.2.1', routes: [{ to: '10.0.0.0/8', via: '192.0.2.254' }] })),
    [],
  );
  assert.deepEqual(net(v4('eth0', '192.0.2.255/24')), [
    'network.networks[0].address: 192.0.2.255/24 is the broadcast address of 192.0.2.0/24',
  ]);
  assert.deepEqual(net(v4('eth0', '192.0.2.0/31')), [], 'RFC 3021 point-to-point');
  assert.deepEqual(net(v4('eth0', '192.0.2.7/32')), []);
  assert.deepEqual(net({ link: 'eth0', type: 'ipv6', address: '2001:db8::/64' }), [
    'network.networks[0].address: 2001:db8::/64 is the network address, not a host address (e.g. 2001:db8::1/64)',
  ]);
  assert.deepEqual(net({ link: 'eth0', type: 'ipv6', address: '192.0.2.1/24' }), [
    'network.networks[0].address: 192.0.2.1/24 is IPv4 but the network type is ipv6',
  ]);
  assert.deepEqual(net(v4('eth0', '192.0.2.10/24', { gateway: '192.0.2.10' })), [
    "network.networks[0].gateway: 192.0.2.10 is the network's own address; a gateway must be another host",
  ]);
  assert.deepEqual(net(v4('eth0', '192.0.2.10/24', { gateway: 'router' })), [
    'network.networks[0].gateway: "router" is not an IP address',
  ]);
  assert.deepEqual(net(v4('eth0', '192.0.2.10/24', { gateway: '2001:db8::1' })), [
    'network.networks[0].gateway: 2001:db8::1 is IPv6 but the network is IPv4',
  ]);
  assert.deepEqual(net(v4('eth0', '192.0.2.10/24', { routes: [{ to: '2001:db8::/32', via: '192.0.2.1' }] })), [
    'network.networks[0].routes[0].to: 2001:db8::/32 is IPv6 but the network type is ipv4',
  ]);
  // A malformed address still lets the gateway be checked for being an IP at all.
  assert.deepEqual(net(v4('eth0', 'x/24', { gateway: 'y' })), [
    'network.networks[0].address: not a CIDR: "x" is not an IPv4 or IPv6 address',
    'network.networks[0].gateway: "y" is not an IP address',
  ]);
  assert.deepEqual(net({ link: 'eth0', type: 'ipv4_dhcp', dns: ['192.0.2.53', 'nope'] }), [
    'network.networks[0].dns[1]: "nope" is not an IP address',
  ]);
  // Values are quoted as JSON, so a line break in one cannot break the one-line report.
  assert.deepEqual(net(v4('eth0', 'a\nb/24', { gateway: 'x\ty' })), [
    'network.networks[0].address: not a CIDR: "a\\nb" is not an IPv4 or IPv6 address',
    'network.networks[0].gateway: "x\\ty" is not an IP address',
  ]);
});

test('overlapping subnets on different links are refused; secondary addresses on one link are fine', () => {
  const links = [phys('eth0', 1), phys('eth1', 2)];
  const run = (...networks: object[]) => lines({ name: 'a', network: { links, networks: networks as never } });
  assert.deepEqual(run(v4('eth0', '192.0.2.10/24'), v4('eth0', '192.0.2.11/24')), []);
  assert.deepEqual(run(v4('eth0', '192.0.2.10/24'), v4('eth1', '192.0.3.10/24')), []);
  assert.deepEqual(run(v4('eth0', '10.0.0.5/8'), v4('eth1', '10.20.0.5/16')), [
    'network.networks[1].address: 10.20.0.0/16 overlaps network.networks[0].address (10.0.0.0/8 on link "eth0")',
  ]);
  assert.deepEqual(run(v4('eth0', '192.0.2.10/24'), v4('eth0', '192.0.2.10/25')), [
    'network.networks[1].address: duplicates network.networks[0].address (192.0.2.10)',
  ]);
  assert.deepEqual(run({ id: 'n', link: 'eth0', type: 'ipv4_dhcp' }, { id: 'n', link: 'eth1', type: 'ipv4_dhcp' }), [
    'network.networks[1].id: duplicates network.networks[0].id ("n")',
  ]);
  assert.deepEqual(
    run({ link: 'eth0', type: 'ipv4_dhcp' }, { link: 'eth0', type: 'ipv6_slaac' }, { link: 'eth0', type: 'ipv4_dhcp' }),
    ['network.networks[2].type: duplicates network.networks[0] (ipv4_dhcp on "eth0")'],
  );
});

test('user-data sources are exclusive and sized; base64 fields are strict', () => {
  assert.deepEqual(lines({ name: 'a', userData: 'x', userDataFile: 'u', userDataBase64: 'eA==' }), [
    'userDataFile: conflicts with userData: give one of userData, userDataFile, userDataBase64',
    'userDataBase64: conflicts with userData: give one of userData, userDataFile, userDataBase64',
  ]);
  assert.deepEqual(
    lines({ name: 'a', userData: 'é'.repeat(24574) + 'a' }),
    [],
    'exactly the limit, counted in UTF-8 bytes',
  );
  assert.deepEqual(lines({ name: 'a', userData: 'é'.repeat(24575) + 'ab' }), [
    'userData: is 49152 bytes; the limit is 49149 bytes (Nova stores at most 65535 base64 characters)',
  ]);
  assert.deepEqual(lines({ name: 'a', userDataBase64: Buffer.alloc(49150).toString('base64') }), [
    'userDataBase64: decodes to 49150 bytes; the limit is 49149 bytes (Nova stores at most 65535 base64 characters)',
  ]);
  assert.deepEqual(lines({ name: 'a', randomSeed: 'abc' }), [
    'randomSeed: not base64: length 3 is not a multiple of 4',
  ]);
});

test('vendorData must be JSON; devices must point at real NICs', () => {
  assert.deepEqual(
    lines({ name: 'a', vendorData: { ok: [1, 'x', null, { deep: true }], bad: [Number.NaN], 'odd key': -Infinity } }),
    ['vendorData.bad[0]: .nan cannot be written as JSON', 'vendorData["odd key"]: -.inf cannot be written as JSON'],
  );
  const network = { links: [phys('eth0', 1)] };
  assert.deepEqual(lines({ name: 'a', network, devices: [{ type: 'nic', bus: 'pci', mac: '52:54:00:00:00:01' }] }), []);
  assert.deepEqual(
    lines({ name: 'a', network, devices: [{ type: 'disk', bus: 'scsi', mac: '52:54:00:00:00:01', vlan: 5 }] }),
    ['devices[0].mac: only nic devices have a MAC', 'devices[0].vlan: only nic devices have a VLAN'],
  );
});

test('uuid byte-swapped to ec2 is refused; ssh keys are checked and uniquely named', () => {
  assert.deepEqual(lines({ name: 'a', uuid: '45e12aec-0000-4000-8000-000000000000' }), [
    'uuid: its first group read byte-swapped starts with "ec2": newer cloud-init would take the VM for AWS',
  ]);
  assert.deepEqual(lines({ name: 'a', uuid: '45e12aed-0000-4000-8000-000000000000' }), []);
  assert.deepEqual(
    lines({
      name: 'a',
      sshKeys: [
        { name: 'k', key: KEYS.rsa },
        { name: 'k', key: 'ssh-rsa' },
      ],
    }),
    [
      'sshKeys[1].name: duplicates sshKeys[0].name ("k")',
      'sshKeys[1].key: not an OpenSSH public key ("<type> <base64> [comment]")',
    ],
  );
});

test('sidecar listen addresses: the shared grammar, zones, all-interfaces refused with the way to allow it', () => {
  for (const ok of [
    'unix',
    'unix:/run/x.sock',
    '127.0.0.1:0',
    '169.254.169.254:80',
    '[::1]:8080',
    '[fd00:ec2::254]:80',
    '[fe80::a9fe:a9fe%br0]:80',
  ])
    assert.equal(listenProblem(ok), null, ok);
  assert.equal(
    listenProblem('localhost:80'),
    '"localhost:80": "localhost" is not an IP address (IPv6 goes in brackets)',
  );
  assert.equal(listenProblem('::1:80'), '"::1:80": expected unix, unix:/path, IPV4:PORT or [IPV6]:PORT');
  assert.equal(
    listenProblem('[127.0.0.1]:80'),
    '"[127.0.0.1]:80": "127.0.0.1" is not an IP address (IPv6 goes in brackets)',
  );
  assert.equal(listenProblem('127.0.0.1:70000'), '"127.0.0.1:70000": port 70000 is above 65535');
  assert.equal(
    listenProblem('[fe80::1%a/b]:80'),
    '"[fe80::1%a/b]:80": bad IPv6 zone "a/b" (an interface name of at most 15 letters, digits, "_", "." or "-")',
  );
  const all =
    '"0.0.0.0:8080": refusing every interface (one VM\'s metadata would be open to every network the host is on); set sidecar.allowAllInterfaces: true in the spec (vmmeta serve: --allow-all-interfaces) if that is really meant';
  assert.equal(listenProblem('0.0.0.0:8080'), all);
  assert.equal(listenProblem('0.0.0.0:8080', true), null);
  assert.deepEqual(lines({ name: 'a', sidecar: { listen: ['0.0.0.0:8080'] } }), [`sidecar.listen[0]: ${all}`]);
  assert.deepEqual(
    lines({ name: 'a', sidecar: { listen: ['0.0.0.0:8080', '[::]:80'], allowAllInterfaces: true } }),
    [],
  );
  assert.deepEqual(
    lines({
      name: 'a',
      sidecar: { listen: ['unix', '127.0.0.1:0', '127.0.0.1:0', '127.0.0.1:8775', 'unix', '127.0.0.1:8775'] },
    }),
    [
      'sidecar.listen[4]: duplicates sidecar.listen[0] ("unix")',
      'sidecar.listen[5]: duplicates sidecar.listen[3] ("127.0.0.1:8775")',
    ],
  );
});

test('sidecar tap mode: the tap is named, is an interface name, and only goes with path tap', () => {
  assert.deepEqual(
    lines({ name: 'a', sidecar: { path: 'tap', tap: { device: 'tap-a', bridge: 'br0', port: 8801 } } }),
    [],
  );
  assert.deepEqual(lines({ name: 'a', sidecar: { path: 'tap', tap: { device: 'tap-a' } } }), []);
  assert.deepEqual(lines({ name: 'a', sidecar: { path: 'tap' } }), [
    "sidecar.tap: sidecar.path is tap: name the VM's tap (sidecar.tap.device)",
  ]);
  assert.deepEqual(lines({ name: 'a', sidecar: { tap: { device: 'tap-a' } } }), [
    'sidecar.tap: only used with sidecar.path: tap',
  ]);
  assert.deepEqual(
    lines({ name: 'a', sidecar: { path: 'tap', tap: { device: 'tap/with slash', bridge: 'a-bridge-name-too-long' } } }),
    [
      'sidecar.tap.device: "tap/with slash" is not a Linux interface name (1-15 letters, digits, "_", "." or "-")',
      'sidecar.tap.bridge: "a-bridge-name-too-long" is not a Linux interface name (1-15 letters, digits, "_", "." or "-")',
    ],
  );
  assert.deepEqual(lines({ name: 'a', sidecar: { path: 'tap', tap: { device: 'br0', bridge: 'br0' } } }), [
    'sidecar.tap.bridge: the bridge cannot be the tap itself',
  ]);
});
