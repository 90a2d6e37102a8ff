import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { generationWarnings } from '../../../src/spec/generation-rules.js';
import { resolve } from '../../helpers/vm-fixtures.js';
import type { SpecInput } from '../../../src/spec/schema.js';

const bond = (mac: string, extra: Record<string, unknown> = {}) => ({
  links: [
    { id: 'eth1', type: 'physical', mac: '52:54:00:aa:00:01' },
    { id: 'eth2', type: 'physical', mac: '52:54:00:aa:00:02' },
    { id: 'bond0', type: 'bond', mac, mode: 'active-backup', members: ['eth1', 'eth2'], ...extra },
  ],
});
const at = (cloudInit: string, spec: Partial<SpecInput>) =>
  generationWarnings(resolve({ name: 'g', guest: { cloudInit }, ...spec } as SpecInput));

test('a bond MAC none of its members has: emptied on 20.4, dropped by NetworkManager everywhere', () => {
  const own = { network: bond('52:54:00:aa:00:0a') } as Partial<SpecInput>;
  assert.match(at('20.4', own).join('\n'), /20\.4 copies the bond's MAC 52:54:00:aa:00:0a onto every member/);
  assert.doesNotMatch(at('22.4', own).join('\n'), /copies the bond's MAC/);
  assert.match(at('26.2', own).join('\n'), /NetworkManager renderer .* drops a bond's own MAC/);
  assert.deepEqual(at('20.4', { network: bond('52:54:00:aa:00:01') } as Partial<SpecInput>), []);
});

test('bond_xmit_hash_policy from 25.1, an IPv6 route on 20.4, nocloud-net by generation', () => {
  const xmit = { network: bond('52:54:00:aa:00:01', { xmitHashPolicy: 'layer3+4' }) } as Partial<SpecInput>;
  assert.deepEqual(at('22.4', xmit), []);
  assert.match(at('25.1', xmit).join('\n'), /drop bond_xmit_hash_policy/);
  const v6 = {
    network: {
      links: [{ id: 'e0', type: 'physical', mac: '52:54:00:aa:00:01' }],
      networks: [
        {
          link: 'e0',
          type: 'ipv6',
          address: '2001:db8::5/64',
          routes: [{ to: '2001:db8:999::/48', via: '2001:db8::1' }],
        },
      ],
    },
  } as Partial<SpecInput>;
  assert.match(at('20.4', v6).join('\n'), /prefix\/mask/);
  assert.deepEqual(at('22.4', v6), []);
  // vmmeta's own nocloud-net serial takes each generation's form, so it never warns of it; a hand-written one may.
  // Before 24.1 the seed carries no network-config: that is said instead.
  const net = { datasource: { nocloud: 'net' } } as Partial<SpecInput>;
  assert.match(at('22.4', net).join('\n'), /not network-config, so only the fallback NIC comes up/);
  assert.deepEqual(at('26.2', net), []);
  const old = { smbios: { serial: 'ds=nocloud-net;s=http://192.0.2.9/seed/' } } as Partial<SpecInput>;
  assert.deepEqual(at('22.4', old), []);
  assert.match(
    at('26.2', old).join('\n'),
    /smbios\.serial: ds=nocloud-net is a datasource name deprecated since cloud-init 24\.1/,
  );
  const modern = { smbios: { serial: 'ds=nocloud;s=http://192.0.2.9/seed/' } } as Partial<SpecInput>;
  assert.deepEqual(at('25.1', modern), []);
  assert.match(at('20.4', modern).join('\n'), /dsmode=local/);
  assert.deepEqual(at('20.4', { smbios: { serial: 'ds=nocloud;s=file:///seed/' } } as Partial<SpecInput>), []);
});
