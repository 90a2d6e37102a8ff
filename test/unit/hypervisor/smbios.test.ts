import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  resolveSmbios,
  smbiosArgs,
  qemuOptionValue,
  smbiosText,
  checkSmbiosValue,
} from '../../../src/hypervisor/smbios.js';
import { UserError } from '../../../src/errors.js';
import { makeVm, UUID } from './fixtures.js';

test('profile openstack looks like Nova: product and asset tag OpenStack Nova, serial = uuid', () => {
  const s = resolveSmbios(makeVm());
  assert.deepEqual(s, {
    type1: {
      manufacturer: 'OpenStack Foundation',
      product: 'OpenStack Nova',
      version: 'vmmeta',
      serial: UUID,
      uuid: UUID,
      family: 'Virtual Machine',
    },
    type3: { asset: 'OpenStack Nova' },
  });
});

test('OpenStack Compute is selectable, and explicit fields win', () => {
  const s = resolveSmbios(
    makeVm({
      smbios: {
        product: 'OpenStack Compute',
        assetTag: 'OpenStack Compute',
        serial: 'S-1',
        chassisManufacturer: 'Acme',
      },
    }),
  );
  assert.equal(s.type1.product, 'OpenStack Compute');
  assert.equal(s.type1.serial, 'S-1');
  assert.deepEqual(s.type3, { manufacturer: 'Acme', asset: 'OpenStack Compute' });
});

test('profile plain sets only uuid and serial, plus what the spec sets itself', () => {
  assert.deepEqual(resolveSmbios(makeVm({ smbios: { profile: 'plain' } })), {
    type1: { serial: UUID, uuid: UUID },
    type3: {},
  });
  const s = resolveSmbios(makeVm({ smbios: { profile: 'plain', manufacturer: 'Acme', assetTag: 'OpenStack Nova' } }));
  assert.deepEqual(s, {
    type1: { manufacturer: 'Acme', serial: UUID, uuid: UUID },
    type3: { asset: 'OpenStack Nova' },
  });
});

test('nocloud net: the serial carries the seed URL and OpenStack is not claimed unless asked for', () => {
  const vm = makeVm({ datasource: { nocloud: 'net' } });
  const s = resolveSmbios(vm, { seedUrl: 'http://169.254.169.254/nocloud/' });
  assert.equal(s.type1.serial, 'ds=nocloud-net;s=http://169.254.169.254/nocloud/', 'the default generation, 22.4');
  // From 24.1 the deprecated name gives way to ds=nocloud, which init-network reads the same way there.
  const serialFor = (cloudInit: '20.4' | '22.4' | '25.1' | '26.2') =>
    resolveSmbios(makeVm({ datasource: { nocloud: 'net' }, guest: { cloudInit } }), {
      seedUrl: 'http://169.254.169.254/nocloud/',
    }).type1.serial;
  assert.deepEqual((['20.4', '22.4', '25.1', '26.2'] as const).map(serialFor), [
    'ds=nocloud-net;s=http://169.254.169.254/nocloud/',
    'ds=nocloud-net;s=http://169.254.169.254/nocloud/',
    'ds=nocloud;s=http://169.254.169.254/nocloud/',
    'ds=nocloud;s=http://169.254.169.254/nocloud/',
  ]);
  assert.equal(s.type1.product, undefined);
  assert.equal(s.type3.asset, undefined);
  const explicit = resolveSmbios(makeVm({ datasource: { nocloud: 'net' }, smbios: { product: 'OpenStack Nova' } }), {
    seedUrl: 'http://169.254.169.254/nocloud/',
  });
  assert.equal(explicit.type1.product, 'OpenStack Nova');
  assert.throws(() => resolveSmbios(vm), UserError);
  assert.throws(() => resolveSmbios(vm, { seedUrl: 'http://x/a;b/' }), /trailing slash and no ";"/);
  assert.throws(
    () => resolveSmbios(makeVm({ datasource: { nocloud: 'net' }, smbios: { serial: 'x' } }), { seedUrl: 'http://x/' }),
    /serial cannot be set/,
  );
});

test('values are re-checked: control characters, more than 64 bytes, non-NFC text', () => {
  assert.throws(() => resolveSmbios(makeVm({ smbios: { product: 'a\nb' } })), /control character/);
  assert.throws(() => resolveSmbios(makeVm({ smbios: { version: 'x'.repeat(65) } })), /65 bytes long/);
  // 32 two-byte characters: 64 bytes is fine, 33 are not (the table holds bytes, not characters).
  assert.equal(checkSmbiosValue('v', 'é'.repeat(32)), 'é'.repeat(32));
  assert.throws(() => checkSmbiosValue('v', 'é'.repeat(33)), /66 bytes/);
  assert.throws(() => checkSmbiosValue('v', 'e\u0301'), /NFC/);
});

test('smbiosArgs doubles commas and adds nothing else (quotes, <, & pass through)', () => {
  const s = resolveSmbios(makeVm({ smbios: { version: 'a,b,,c', family: '"quoted" <x> & ü' } }));
  assert.deepEqual(smbiosArgs(s), [
    '-smbios',
    `type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova,version=a,,b,,,,c,serial=${UUID},uuid=${UUID},family="quoted" <x> & ü`,
    '-smbios',
    'type=3,asset=OpenStack Nova',
  ]);
  assert.equal(qemuOptionValue(',x,'), ',,x,,');
});

test('a plain VM gets no type 3 option', () => {
  const args = smbiosArgs(resolveSmbios(makeVm({ smbios: { profile: 'plain' } })));
  assert.deepEqual(args, ['-smbios', `type=1,serial=${UUID},uuid=${UUID}`]);
});

test('smbiosText names the sysfs files the guest reads', () => {
  const text = smbiosText(resolveSmbios(makeVm()));
  assert.match(text, /^product_name=OpenStack Nova$/m);
  assert.match(text, /^chassis_asset_tag=OpenStack Nova$/m);
  assert.match(text, new RegExp(`^product_uuid=${UUID}$`, 'm'));
});
