// What a small guest must have seen for a given spec: its SMBIOS strings and uuid in DMI, its CD (or none),
// and its own documents from 169.254.169.254. Used against real boots, and once against a wrong spec to show
// that it fails.
import * as assert from 'node:assert/strict';
import { GuestReport, expectKeyValues, keyValues } from './report.js';
import { ec2InstanceIdFor } from '../../../src/spec/ids.js';

export interface SmallSpec {
  name: string;
  uuid: string;
  hostname: string;
  sshKeys: Array<{ name: string; key: string }>;
  meta?: Record<string, string>;
  smbios: { manufacturer: string; product: string; version: string; serial: string; family: string; assetTag?: string };
  datasource: { nocloud: 'cd' | 'none' };
  network: {
    links: Array<{ id: string; type: 'physical'; mac: string }>;
    networks: Array<{ link: string; type: 'ipv4_dhcp' }>;
  };
}

export function expectSmallGuest(report: GuestReport, spec: SmallSpec): void {
  const s = spec.smbios;
  expectKeyValues(report, 'dmi', {
    sys_vendor: s.manufacturer,
    product_name: s.product,
    product_version: s.version,
    product_serial: s.serial,
    product_uuid: spec.uuid,
    product_family: s.family,
    ...(s.assetTag ? { chassis_asset_tag: s.assetTag } : {}),
  });
  const cd = keyValues(report.section('cdrom'));
  if (spec.datasource.nocloud === 'cd') {
    assert.equal(cd.label, 'cidata', `${spec.name}: expected the cidata CD${report.where()}`);
    assert.match(cd.files ?? '', /\bmeta-data\b/, `${spec.name}: no meta-data on the CD${report.where()}`);
    assert.match(cd.files ?? '', /\buser-data\b/, `${spec.name}: no user-data on the CD${report.where()}`);
  } else {
    assert.equal(cd.label, '', `${spec.name}: expected no CD${report.where()}`);
  }
  const net = keyValues(report.section('net'));
  assert.match(
    net.nic ?? '',
    new RegExp(`mac=${spec.network.links[0]!.mac}$`),
    `${spec.name}: metadata NIC MAC${report.where()}`,
  );
  const md = report.json('meta_data') as Record<string, unknown>;
  assert.equal(md.uuid, spec.uuid, `${spec.name}: meta_data.json uuid${report.where()}`);
  assert.equal(md.hostname, spec.hostname, `${spec.name}: meta_data.json hostname${report.where()}`);
  // Nova's form: each key ends in a newline, so CirrOS's concatenation keeps them apart.
  assert.deepEqual(
    md.public_keys,
    Object.fromEntries(spec.sshKeys.map((k) => [k.name, `${k.key}\n`])),
    `${spec.name}: public_keys${report.where()}`,
  );
  if (spec.meta) assert.deepEqual(md.meta, spec.meta, `${spec.name}: meta${report.where()}`);
  const nd = report.json('network_data') as { links?: Array<{ ethernet_mac_address?: string }> };
  assert.deepEqual(
    (nd.links ?? []).map((l) => l.ethernet_mac_address),
    spec.network.links.map((l) => l.mac),
    `${spec.name}: network_data.json links${report.where()}`,
  );
  // EC2-only clients (CirrOS) wait for an id starting "i-": vmmeta's default is derived from the uuid.
  assert.equal(
    report.section('instance_id'),
    ec2InstanceIdFor(spec.uuid),
    `${spec.name}: EC2 instance-id${report.where()}`,
  );
}
