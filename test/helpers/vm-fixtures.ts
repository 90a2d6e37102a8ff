// ResolvedVm values for renderer tests, built through the real SpecSchema (so defaults are the schema's) with the
// ids a loader would add fixed, so every render is reproducible.
import { SpecSchema, type ResolvedVm, type SpecInput } from '../../src/spec/schema.js';
import { ec2InstanceIdFor } from '../../src/spec/ids.js';

export const FIXED_UUID = '3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10';
// 512 bytes, base64: deterministic filler, as Nova sends a 512-byte seed.
export const FIXED_SEED = Buffer.from(Uint8Array.from({ length: 512 }, (_, i) => (i * 37 + 11) & 0xff)).toString(
  'base64',
);

export const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBn8k2bJ4Zr1v3zVbQv0o2b7mXw0y9H9wYtP5kq3XyZ1 ops@example';
export const RSA_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDn4b7cT0y3 backup@example';

export function resolve(input: SpecInput, userData?: string | Uint8Array): ResolvedVm {
  const spec = SpecSchema.parse(input);
  const {
    uuid,
    hostname,
    instanceId,
    randomSeed,
    userData: _u,
    userDataFile: _f,
    userDataBase64: _b,
    network,
    ...rest
  } = spec;
  const id = uuid ?? FIXED_UUID;
  return {
    ...rest,
    uuid: id,
    hostname: hostname ?? spec.name,
    instanceId: instanceId ?? id,
    ec2InstanceId: instanceId ?? ec2InstanceIdFor(id),
    randomSeed: randomSeed ?? FIXED_SEED,
    ...(userData === undefined
      ? {}
      : { userData: typeof userData === 'string' ? new TextEncoder().encode(userData) : userData }),
    network: network ?? { links: [], networks: [], dns: { servers: [], search: [] } },
  };
}

export const CLOUD_CONFIG = '#cloud-config\npackages: [htop]\nruncmd:\n  - [sh, -c, "echo hello > /run/hello"]\n';

export function minimalVm(): ResolvedVm {
  return resolve({ name: 'web-1', sshKeys: [{ name: 'ops', key: ED25519 }] }, CLOUD_CONFIG);
}

// Two NICs in an LACP bond, a VLAN on the bond, and a third NIC on DHCP; IPv4 + IPv6, routes, DNS, search.
export function threeNicVm(): ResolvedVm {
  return resolve(
    {
      name: 'router-1',
      hostname: 'router-1.example.net',
      projectId: 'f7ac731cc11f40efbc03a9f9e1d1d21f',
      sshKeys: [
        { name: 'ops', key: ED25519 },
        { name: 'backup', key: RSA_KEY },
      ],
      meta: { role: 'router' },
      vendorData: { 'cloud-init': '#cloud-config\nbootcmd:\n  - [sh, -c, "echo vendor > /run/vendor"]\n' },
      adminPassword: 's3cr3t',
      devices: [
        { type: 'nic', bus: 'pci', address: '0000:00:03.0', mac: '52:54:00:00:00:01', vlan: 100, tags: ['uplink'] },
      ],
      network: {
        links: [
          { id: 'eth0', type: 'physical', mac: '52:54:00:00:00:01', mtu: 9000 },
          { id: 'eth1', type: 'physical', mac: '52:54:00:00:00:02', mtu: 9000 },
          {
            id: 'bond0',
            type: 'bond',
            mac: '52:54:00:00:00:01',
            mode: '802.3ad',
            members: ['eth0', 'eth1'],
            miimon: 100,
            xmitHashPolicy: 'layer3+4',
            mtu: 9000,
          },
          { id: 'vlan100', type: 'vlan', mac: '52:54:00:00:01:00', vlanId: 100, parent: 'bond0' },
          { id: 'eth2', type: 'physical', mac: '52:54:00:00:00:03' },
        ],
        networks: [
          {
            link: 'bond0',
            type: 'ipv4',
            address: '192.0.2.10/24',
            gateway: '192.0.2.1',
            routes: [{ to: '198.51.100.0/24', via: '192.0.2.254', metric: 50 }],
            dns: ['192.0.2.53'],
          },
          { link: 'bond0', type: 'ipv6', address: '2001:db8:0:1::10/64', gateway: '2001:db8:0:1::1' },
          {
            link: 'vlan100',
            type: 'ipv4',
            address: '10.100.0.5/24',
            routes: [{ to: '10.200.0.0/16', via: '10.100.0.1' }],
          },
          { link: 'eth2', type: 'ipv4_dhcp' },
        ],
        dns: { servers: ['9.9.9.9'], search: ['example.net'] },
      },
    },
    CLOUD_CONFIG,
  );
}

// An EC2-style VM (CirrOS and friends): one DHCP NIC, no user-data.
export function ec2OnlyVm(): ResolvedVm {
  return resolve({
    name: 'cirros-1',
    sshKeys: [{ name: 'ops', key: ED25519 + '\n' }],
    smbios: { profile: 'plain' },
    datasource: { nocloud: 'none', configDrive: false },
    network: {
      links: [{ id: 'eth0', type: 'physical', mac: '52:54:00:aa:bb:01' }],
      networks: [{ link: 'eth0', type: 'ipv4_dhcp' }],
    },
  });
}
