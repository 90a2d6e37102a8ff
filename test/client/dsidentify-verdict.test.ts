// Debian's real ds-identify (bullseye 20.4, bookworm 22.4, trixie 25.1, sid 26.2) against fake roots built from vmmeta's own
// SMBIOS output, compared with predictDatasource(). Any disagreement in the written list, the exit code, or a
// single dscheck result fails.
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import { cloudInitClient, SUITES, SUITE_CLOUD_INIT, type Generation } from '../helpers/cloud-init.js';
import { resolveSmbios } from '../../src/hypervisor/smbios.js';
import type { Smbios } from '../../src/hypervisor/smbios.js';
import { predictDatasource } from '../../src/guest/verdict.js';
import { makeVm } from '../unit/hypervisor/fixtures.js';
import { runDsIdentify, dmiFiles } from './dsidentify-fake-root.js';

const SEED = 'http://169.254.169.254/nocloud/';

interface Case {
  name: string;
  vm: Parameters<typeof makeVm>[0];
  noSmbios?: boolean; // QEMU defaults: vmmeta's output not applied at all
  image?: string[];
  expect?: Partial<Record<Generation, { list: string[] | null; rc: 0 | 1; winner: string | null }>>;
}

const CASES: Case[] = [
  {
    name: 'OpenStack SMBIOS, no CD',
    vm: { datasource: { nocloud: 'none' } },
    expect: { '22.4': { list: ['OpenStack', 'None'], rc: 0, winner: 'OpenStackLocal' } },
  },
  {
    name: 'OpenStack SMBIOS + cidata CD',
    vm: {},
    expect: { '22.4': { list: ['NoCloud', 'OpenStack', 'None'], rc: 0, winner: 'NoCloud' } },
  },
  {
    name: 'OpenStack Compute, no CD',
    vm: { smbios: { product: 'OpenStack Compute' }, datasource: { nocloud: 'none' } },
  },
  {
    name: 'asset tag only',
    vm: { smbios: { profile: 'plain', assetTag: 'OpenStack Nova' }, datasource: { nocloud: 'none' } },
  },
  { name: 'asset tag OpenStack Compute + CD', vm: { smbios: { profile: 'plain', assetTag: 'OpenStack Compute' } } },
  {
    name: 'plain SMBIOS, no CD',
    vm: { smbios: { profile: 'plain' }, datasource: { nocloud: 'none' } },
    expect: { '22.4': { list: null, rc: 1, winner: null } },
  },
  {
    name: 'plain SMBIOS + CD',
    vm: { smbios: { profile: 'plain' } },
    expect: { '25.1': { list: ['NoCloud', 'None'], rc: 0, winner: 'NoCloud' } },
  },
  { name: 'no SMBIOS at all, no CD', noSmbios: true, vm: { datasource: { nocloud: 'none' } } },
  { name: 'no SMBIOS at all + CD', noSmbios: true, vm: {} },
  {
    name: 'config-2 drive, OpenStack SMBIOS',
    vm: { datasource: { nocloud: 'none', configDrive: true } },
    expect: { '22.4': { list: ['ConfigDrive', 'None'], rc: 0, winner: 'ConfigDrive' } },
  },
  {
    name: 'config-2 + cidata, OpenStack Compute',
    vm: { smbios: { product: 'OpenStack Compute' }, datasource: { configDrive: true } },
    expect: { '22.4': { list: ['ConfigDrive', 'NoCloud', 'None'], rc: 0, winner: 'ConfigDrive' } },
  },
  {
    name: 'nocloud-net serial',
    vm: { datasource: { nocloud: 'net' } },
    expect: { '22.4': { list: ['NoCloud', 'None'], rc: 0, winner: 'NoCloudNet' } },
  },
  {
    name: 'nocloud-net serial + explicit OpenStack product',
    vm: { smbios: { product: 'OpenStack Nova' }, datasource: { nocloud: 'net' } },
    expect: { '22.4': { list: ['NoCloud', 'OpenStack', 'None'], rc: 0, winner: 'OpenStackLocal' } },
  },
  {
    name: 'aarch64 plain, no CD',
    vm: { smbios: { profile: 'plain' }, datasource: { nocloud: 'none' }, guest: { arch: 'aarch64' } },
    expect: {
      '20.4': { list: ['OpenStack', 'None'], rc: 0, winner: 'OpenStackLocal' },
      '22.4': { list: null, rc: 0, winner: 'OpenStackLocal' },
      '25.1': { list: null, rc: 1, winner: null },
      '26.2': { list: null, rc: 1, winner: null },
    },
  },
  {
    name: 'aarch64 OpenStack, no CD',
    vm: { datasource: { nocloud: 'none' }, guest: { arch: 'aarch64' } },
    expect: { '26.2': { list: ['OpenStack', 'None'], rc: 0, winner: 'OpenStackLocal' } },
  },
  // A "maybe" next to a "found": every generation uses only what was found (maybe=all matters only without one).
  {
    name: 'aarch64 plain + CD',
    vm: { smbios: { profile: 'plain' }, guest: { arch: 'aarch64' } },
    expect: {
      '20.4': { list: ['NoCloud', 'None'], rc: 0, winner: 'NoCloud' },
      '26.2': { list: ['NoCloud', 'None'], rc: 0, winner: 'NoCloud' },
    },
  },
  {
    name: 'ppc64le plain, no CD',
    vm: { smbios: { profile: 'plain' }, datasource: { nocloud: 'none' }, guest: { arch: 'ppc64le' } },
    expect: {
      '20.4': { list: ['OpenStack', 'None'], rc: 0, winner: 'OpenStackLocal' },
      '22.4': { list: null, rc: 0, winner: 'OpenStackLocal' },
      '26.2': { list: null, rc: 1, winner: null },
    },
  },
  { name: 'aarch64 OpenStack + CD', vm: { guest: { arch: 'aarch64' } } },
  {
    name: 'image pins [ OpenStack ], plain + CD',
    vm: { smbios: { profile: 'plain' } },
    image: ['OpenStack'],
    expect: {
      '22.4': { list: ['OpenStack', 'None'], rc: 0, winner: 'None' },
      '25.1': { list: ['OpenStack'], rc: 0, winner: 'OpenStackLocal' },
      '26.2': { list: ['OpenStack'], rc: 0, winner: 'OpenStackLocal' },
    },
  },
  {
    name: 'image pins [ NoCloud, ConfigDrive ], OpenStack, no CD',
    vm: { datasource: { nocloud: 'none' } },
    image: ['NoCloud', 'ConfigDrive'],
  },
  {
    name: 'image pins [ Ec2, None ], plain',
    vm: { smbios: { profile: 'plain' }, datasource: { nocloud: 'none' } },
    image: ['Ec2', 'None'],
  },
  // EC2-only on a stock image: ds-identify finds Ec2 only for a known EC2-compatible platform; e24cloud is the one
  // identified by the manufacturer alone (Python's identify_e24cloud agrees), and it needs no IMDSv2 token.
  {
    name: 'EC2-only: manufacturer e24cloud, no CD',
    vm: { smbios: { profile: 'plain', manufacturer: 'e24cloud' }, datasource: { nocloud: 'none' } },
    expect: {
      '20.4': { list: ['Ec2', 'None'], rc: 0, winner: 'Ec2' },
      '22.4': { list: ['Ec2', 'None'], rc: 0, winner: 'Ec2' },
      '25.1': { list: ['Ec2', 'None'], rc: 0, winner: 'Ec2' },
      '26.2': { list: ['Ec2', 'None'], rc: 0, winner: 'Ec2' },
    },
  },
  // Pinned: 26.2's ec2_identify_platform also knows sys_vendor "Tilaa"; earlier generations find nothing.
  {
    name: 'EC2-only: manufacturer Tilaa, no CD',
    vm: { smbios: { profile: 'plain', manufacturer: 'Tilaa' }, datasource: { nocloud: 'none' } },
    expect: { '25.1': { list: null, rc: 1, winner: null }, '26.2': { list: ['Ec2', 'None'], rc: 0, winner: 'Ec2' } },
  },
  // A random v4 UUID whose first group ends in "2?ec": trixie's ds-identify calls that AWS (byte-swapped "ec2").
  {
    name: 'UUID 45e12aec-… (byte-swapped ec2)',
    vm: { uuid: '45e12aec-dcd1-4213-94ed-012345abcdef', smbios: { profile: 'plain' }, datasource: { nocloud: 'none' } },
    expect: {
      '22.4': { list: null, rc: 1, winner: null },
      '25.1': { list: ['Ec2', 'None'], rc: 0, winner: 'Ec2Local' },
      '26.2': { list: ['Ec2', 'None'], rc: 0, winner: 'Ec2Local' },
    },
  },
];

const CHECKED = ['ConfigDrive', 'NoCloud', 'Ec2', 'OpenStack'];

function checksFromLog(log: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of log.matchAll(/check for '(\w+)' returned (found|maybe|not-found)/g))
    out[m[1] as string] = m[2] as string;
  return out;
}

for (const suite of SUITES) {
  const gen = SUITE_CLOUD_INIT[suite];
  describe(`ds-identify ${suite} (${gen}) agrees with predictDatasource`, () => {
    const client = cloudInitClient(suite);
    for (const c of CASES) {
      test(c.name, () => {
        const vm = makeVm({ ...c.vm, guest: { cloudInit: gen, ...c.vm?.guest } });
        const smbios: Smbios | null = c.noSmbios ? null : resolveSmbios(vm, { seedUrl: SEED });
        const dmi = dmiFiles(smbios);
        const disks = { cidata: vm.datasource.nocloud === 'cd', config2: vm.datasource.configDrive };
        const verdict = predictDatasource({
          arch: vm.guest.arch,
          cloudInit: gen,
          dmi: {
            productName: dmi.product_name ?? '',
            assetTag: dmi.chassis_asset_tag ?? '',
            serial: dmi.product_serial ?? '',
            uuid: dmi.product_uuid ?? '',
            sysVendor: dmi.sys_vendor,
          },
          disks,
          sidecar: { openstack: true, ec2: true, nocloud: true },
          datasourceListInImage: c.image,
        });
        const real = runDsIdentify(client.dsIdentify, {
          arch: vm.guest.arch,
          smbios,
          ...disks,
          imageDatasourceList: c.image,
        });
        const context = `\nverdict: ${JSON.stringify(verdict.dsIdentify)}\ncloud.cfg:\n${real.cloudCfg}`;
        assert.deepEqual(real.list, verdict.dsIdentify.list, `datasource_list differs${context}`);
        assert.equal(real.rc, verdict.dsIdentify.rc, `rc differs${context}`);
        const checks = checksFromLog(real.log);
        if (Object.keys(checks).length) {
          for (const ds of CHECKED) {
            if (!(ds in checks)) continue; // not in the image's list
            const predicted = verdict.dsIdentify.found.includes(ds)
              ? 'found'
              : verdict.dsIdentify.maybe.includes(ds)
                ? 'maybe'
                : 'not-found';
            assert.equal(checks[ds], predicted, `dscheck_${ds}${context}`);
          }
        }
        const pinned = c.expect?.[gen];
        if (pinned) {
          assert.deepEqual(
            { list: real.list, rc: real.rc, winner: verdict.winner },
            pinned,
            `pinned ${gen} behaviour changed${context}\n${verdict.reasons.join('\n')}`,
          );
        }
      });
    }
  });
}
