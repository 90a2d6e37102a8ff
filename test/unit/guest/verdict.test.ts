import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { predictDatasource } from '../../../src/guest/verdict.js';
import type { VerdictInput } from '../../../src/guest/verdict.js';

const NOVA = {
  productName: 'OpenStack Nova',
  assetTag: 'OpenStack Nova',
  serial: 'u',
  uuid: '3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10',
};
const PLAIN = {
  productName: 'Standard PC (Q35 + ICH9, 2009)',
  assetTag: '',
  serial: '',
  uuid: '3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10',
};
const base = (o: Partial<VerdictInput> = {}): VerdictInput => ({
  arch: 'x86_64',
  cloudInit: '22.4',
  dmi: NOVA,
  disks: { cidata: false, config2: false },
  sidecar: { openstack: true, ec2: true },
  ...o,
});

test('OpenStack DMI and no CD: OpenStackLocal, for every generation', () => {
  for (const cloudInit of ['20.4', '22.4', '25.1'] as const) {
    const v = predictDatasource(base({ cloudInit }));
    assert.deepEqual(v.dsIdentify.list, ['OpenStack', 'None']);
    assert.equal(v.winner, 'OpenStackLocal');
  }
});

test('the cidata CD wins over OpenStack: NoCloud comes first in ds-identify and in init-local', () => {
  const v = predictDatasource(base({ disks: { cidata: true, config2: false } }));
  assert.deepEqual(v.dsIdentify.list, ['NoCloud', 'OpenStack', 'None']);
  assert.equal(v.winner, 'NoCloud');
  assert.ok(v.reasons.some((r) => /never asked/.test(r)));
});

test('a config drive hides OpenStack from ds-identify', () => {
  const v = predictDatasource(base({ disks: { cidata: true, config2: true } }));
  assert.deepEqual(v.dsIdentify.list, ['ConfigDrive', 'NoCloud', 'None']);
  assert.equal(v.winner, 'ConfigDrive');
});

test('plain DMI without CD disables cloud-init on x86', () => {
  const v = predictDatasource(base({ dmi: PLAIN }));
  assert.equal(v.dsIdentify.rc, 1);
  assert.equal(v.winner, null);
});

test('non-x86 maybe: 20.4 writes it, 22.4 writes nothing but stays enabled, 25.1 disables', () => {
  const at = (cloudInit: '20.4' | '22.4' | '25.1') =>
    predictDatasource(base({ arch: 'aarch64', cloudInit, dmi: PLAIN }));
  assert.deepEqual(at('20.4').dsIdentify.list, ['OpenStack', 'None']);
  assert.deepEqual(
    [at('22.4').dsIdentify.list, at('22.4').dsIdentify.rc, at('22.4').winner],
    [null, 0, 'OpenStackLocal'],
  );
  assert.deepEqual([at('25.1').dsIdentify.rc, at('25.1').winner], [1, null]);
  assert.ok(at('22.4').warnings.some((w) => /UEFI/.test(w)));
});

test('nocloud-net serial: NoCloudNet in init-network; with an OpenStack product OpenStackLocal gets there first', () => {
  const dmi = { ...PLAIN, serial: 'ds=nocloud-net;s=http://169.254.169.254/nocloud/' };
  assert.equal(predictDatasource(base({ dmi })).winner, 'NoCloudNet');
  const both = predictDatasource(base({ dmi: { ...dmi, productName: 'OpenStack Nova' } }));
  assert.deepEqual(both.dsIdentify.list, ['NoCloud', 'OpenStack', 'None']);
  assert.equal(both.winner, 'OpenStackLocal');
});

test('the seed name per generation: nocloud-net deprecated from 24.1, ds=nocloud with an http seed only from 24.1', () => {
  const url = 's=http://169.254.169.254/nocloud/';
  const at = (cloudInit: '22.4' | '25.1', serial: string) =>
    predictDatasource(base({ cloudInit, dmi: { ...PLAIN, serial } }));
  assert.equal(at('25.1', `ds=nocloud;${url}`).winner, 'NoCloudNet');
  // The other generations are compared too: 20.4 and 22.4 would not take this serial (their outcome differs).
  assert.ok(!at('25.1', `ds=nocloud;${url}`).warnings.some((w) => /deprecated|local mode/.test(w)));
  assert.ok(at('25.1', `ds=nocloud-net;${url}`).warnings.some((w) => /deprecated since cloud-init 24\.1/.test(w)));
  assert.ok(!at('22.4', `ds=nocloud-net;${url}`).warnings.some((w) => /deprecated|local mode/.test(w)));
  const early = at('22.4', `ds=nocloud;${url}`);
  assert.notEqual(early.winner, 'NoCloudNet');
  assert.ok(early.warnings.some((w) => /in local mode/.test(w)));
});

test('OpenStack DMI but no sidecar: DataSourceNone, with a warning', () => {
  const v = predictDatasource(base({ sidecar: { openstack: false, ec2: false } }));
  assert.equal(v.winner, 'None');
  assert.ok(v.warnings.some((w) => /iid-datasource-none/.test(w)));
});

test('a single-entry image list skips every check; 25.1 also skips the Python DMI check', () => {
  const v22 = predictDatasource(base({ dmi: PLAIN, datasourceListInImage: ['OpenStack'] }));
  assert.deepEqual([v22.dsIdentify.list, v22.winner], [['OpenStack', 'None'], 'None']);
  const v25 = predictDatasource(base({ cloudInit: '25.1', dmi: PLAIN, datasourceListInImage: ['OpenStack'] }));
  assert.deepEqual([v25.dsIdentify.list, v25.winner], [['OpenStack'], 'OpenStackLocal']);
  const ec2 = predictDatasource(base({ dmi: PLAIN, datasourceListInImage: ['Ec2', 'None'] }));
  assert.equal(ec2.winner, 'Ec2');
});

test('UUIDs that read as AWS: 22.4 needs serial == uuid, 25.1 also takes the byte-swapped form', () => {
  const swapped = { ...PLAIN, uuid: '45e12aec-dcd1-4213-94ed-012345abcdef' };
  assert.equal(predictDatasource(base({ dmi: swapped })).dsIdentify.rc, 1);
  const v = predictDatasource(base({ cloudInit: '25.1', dmi: swapped }));
  assert.deepEqual(v.dsIdentify.list, ['Ec2', 'None']);
  assert.ok(v.warnings.some((w) => /AWS/.test(w)));
  const same = {
    ...PLAIN,
    uuid: 'ec2e1916-9099-7caf-fd21-012345abcdef',
    serial: 'EC2E1916-9099-7CAF-FD21-012345ABCDEF',
  };
  assert.deepEqual(predictDatasource(base({ dmi: same })).dsIdentify.list, ['Ec2', 'None']);
});

test('ds-identify trims blanks but compares case-sensitively', () => {
  assert.equal(
    predictDatasource(base({ dmi: { ...PLAIN, productName: '  OpenStack Nova ' } })).winner,
    'OpenStackLocal',
  );
  assert.equal(predictDatasource(base({ dmi: { ...PLAIN, productName: 'openstack nova' } })).winner, null);
});

test('the verdict says where generations differ', () => {
  const v = predictDatasource(base({ arch: 'aarch64', dmi: PLAIN }));
  assert.deepEqual(v.byGeneration['25.1'], { list: null, rc: 1, winner: null });
  assert.deepEqual(v.byGeneration['20.4'].list, ['OpenStack', 'None']);
  assert.ok(v.warnings.some((w) => /cloud-init 25\.1 .*disabled/.test(w)));
  assert.ok(!predictDatasource(base()).warnings.some((w) => /outcome differs/.test(w)));
});
