// Real qemu-system-x86_64 (TCG) takes vmmeta's argv as is: the SMBIOS options, the cidata CD on every bus and the
// metadata NIC with its guestfwd connector. SeaBIOS then runs (no boot device) and the SMBIOS tables it leaves in
// guest RAM are parsed: every string must be byte-for-byte what resolveSmbios chose, commas, quotes, <, & and
// non-ASCII included. Linux's dmi_string() copies those bytes unchanged into /sys/class/dmi/id.
import { test, describe, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSmbios } from '../../src/hypervisor/smbios.js';
import { qemuArgs, uuidMac } from '../../src/hypervisor/qemu-args.js';
import type { CdromBus } from '../../src/hypervisor/qemu-args.js';
import { guestfwdConnector } from '../../src/hypervisor/connector.js';
import { buildIso } from '../../src/hypervisor/iso.js';
import { sortedTree, utf8 } from '../../src/render/tree.js';
import { makeVm, UUID } from '../unit/hypervisor/fixtures.js';
import { startQemu, readSmbiosTables, smbiosString, smbiosUuid } from './qemu-qmp.js';

const BASE = ['-accel', 'tcg', '-nodefaults', '-display', 'none', '-m', '64', '-no-reboot'];
let dir = '';
let iso = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vmmeta-qemu-'));
  iso = join(dir, 'cidata.iso');
  await buildIso(
    sortedTree([
      ['meta-data', utf8('instance-id: x\n')],
      ['user-data', utf8('#cloud-config\n')],
    ]),
    { volumeId: 'cidata', out: iso },
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

const TRICKY = {
  product: 'OpenStack Compute',
  manufacturer: 'Acme, Inc.',
  version: '"2.0" <rc1> & more',
  family: 'Machine virtuelle – été',
  assetTag: 'asset,,two',
  chassisManufacturer: "O'Brien & Søn",
};

function argv(opts: { bus?: CdromBus; machine: string; smbios?: NonNullable<Parameters<typeof makeVm>[0]>['smbios'] }) {
  const vm = makeVm({ smbios: opts.smbios ?? TRICKY });
  const smbios = resolveSmbios(vm);
  const args = qemuArgs({
    uuid: vm.uuid,
    smbios,
    machine: opts.machine,
    ...(opts.bus ? { cdrom: { path: iso, bus: opts.bus } } : {}),
    metadataNic: {
      id: 'vmmeta0',
      mac: uuidMac(vm.uuid),
      connector: guestfwdConnector(join(dir, 'vm1', 'sidecar.sock')),
    },
  });
  return { smbios, args };
}

describe('QEMU accepts the argv and the guest firmware gets the exact SMBIOS strings', () => {
  for (const machine of ['q35', 'pc']) {
    test(`${machine}: SMBIOS type 1 and type 3 strings, UUID, CD and NIC`, async () => {
      const { smbios, args } = argv({ bus: 'ide', machine });
      const qmp = await startQemu([...BASE, ...args]);
      try {
        const tables = await readSmbiosTables(qmp);
        const t1 = tables.find((t) => t.type === 1);
        const t3 = tables.find((t) => t.type === 3);
        assert.ok(t1 && t3, 'type 1 and type 3 present');
        assert.deepEqual(
          {
            manufacturer: smbiosString(t1, 4),
            product: smbiosString(t1, 5),
            version: smbiosString(t1, 6),
            serial: smbiosString(t1, 7),
            uuid: smbiosUuid(t1),
            family: smbiosString(t1, 26),
          },
          smbios.type1,
        );
        assert.deepEqual({ manufacturer: smbiosString(t3, 4), asset: smbiosString(t3, 8) }, smbios.type3);
        assert.equal(smbios.type3.asset, 'asset,,two', 'a doubled comma in the value stays two commas');
        const blocks = (await qmp.cmd('query-block')) as Array<{
          device: string;
          inserted?: { file: string; ro: boolean };
        }>;
        const cd = blocks.find((b) => b.device === 'vmmeta-cidata');
        assert.equal(cd?.inserted?.file, iso);
        assert.equal(cd?.inserted?.ro, true);
        const net = (await qmp.cmd('human-monitor-command', { 'command-line': 'info network' })) as string;
        assert.match(net, new RegExp(`macaddr=${uuidMac(UUID)}`));
        assert.match(net, /vmmeta0: index=0,type=user,net=169\.254\.169\.0,restrict=on/);
        const status = (await qmp.cmd('query-status')) as { status: string };
        assert.equal(status.status, 'running');
      } finally {
        await qmp.quit();
      }
    });
  }

  test('plain profile: only uuid and serial are set; product and asset tag keep QEMU defaults', async () => {
    const { args } = argv({ machine: 'q35', smbios: { profile: 'plain' } });
    assert.equal(args.filter((a) => a === '-smbios').length, 1);
    const qmp = await startQemu([...BASE, ...args]);
    try {
      const tables = await readSmbiosTables(qmp);
      const t1 = tables.find((t) => t.type === 1)!;
      const t3 = tables.find((t) => t.type === 3)!;
      assert.equal(smbiosString(t1, 5), 'Standard PC (Q35 + ICH9, 2009)');
      assert.equal(smbiosString(t1, 7), UUID);
      assert.equal(smbiosUuid(t1), UUID);
      assert.equal(smbiosString(t3, 8), undefined);
    } finally {
      await qmp.quit();
    }
  });

  for (const bus of ['ide', 'sata', 'scsi', 'virtio'] as CdromBus[]) {
    for (const machine of ['q35', 'pc']) {
      test(`cidata on bus ${bus} (${machine}) is attached read-only with the right device model`, async () => {
        const { args } = argv({ bus, machine });
        const qmp = await startQemu(['-S', ...BASE, ...args]);
        try {
          const blocks = (await qmp.cmd('query-block')) as Array<{
            device: string;
            inserted?: { file: string; ro: boolean };
          }>;
          assert.equal(blocks.find((b) => b.device === 'vmmeta-cidata')?.inserted?.file, iso);
          const qtree = (await qmp.cmd('human-monitor-command', { 'command-line': 'info qtree' })) as string;
          const model = { ide: 'ide-cd', sata: 'ide-cd', scsi: 'scsi-cd', virtio: 'virtio-blk-device' }[bus];
          assert.match(qtree, new RegExp(`dev: ${model}, id ""[\\s\\S]*?drive = "vmmeta-cidata"`));
        } finally {
          await qmp.quit();
        }
      });
    }
  }
});
