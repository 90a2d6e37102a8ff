// libvirt's own schema check (virt-xml-validate … domain) on every domain XML vmmeta writes: the starter domain and
// the realistic hand-written domain after patching (CD on every bus, NIC on and off). The golden copies are
// validated too, so a reviewed golden file can never be an invalid domain.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveSmbios } from '../../src/hypervisor/smbios.js';
import { domainXml } from '../../src/hypervisor/libvirt.js';
import { patchDomainXml } from '../../src/hypervisor/libvirt-patch.js';
import type { CdromBus } from '../../src/hypervisor/qemu-args.js';
import { makeVm, UUID } from '../unit/hypervisor/fixtures.js';

const GOLDEN = fileURLToPath(new URL('../../../test/golden-hypervisor/', import.meta.url));
const HAND = readFileSync(join(GOLDEN, 'hand-written-domain.xml'), 'utf8');
const NIC = {
  id: 'vmmeta0',
  mac: '52:54:00:12:34:56',
  connector: "socat -lf /dev/null - 'UNIX-CONNECT:/var/lib/vmmeta/web1/sidecar.sock'",
};

function validate(xml: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'vmmeta-virt-'));
  try {
    const file = join(dir, 'domain.xml');
    writeFileSync(file, xml);
    const r = spawnSync('virt-xml-validate', [file, 'domain'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `virt-xml-validate rejected:\n${r.stdout}${r.stderr}\n${xml}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const smbios = resolveSmbios(makeVm({ smbios: { family: 'A & <B>', chassisManufacturer: 'Søn' } }));

test('the starter domain validates, with and without CD and NIC', () => {
  const vm = makeVm({
    network: {
      links: [
        { id: 'a', type: 'physical', mac: '52:54:00:12:34:56' },
        { id: 'b', type: 'physical', mac: '52:54:00:12:34:57' },
      ],
      networks: [],
      dns: { servers: [], search: [] },
    },
  });
  validate(domainXml(vm, { smbios, cdrom: { path: '/v/cidata.iso', bus: 'ide' }, metadataNic: NIC }));
  validate(domainXml(vm, { smbios, cdrom: null }));
});

test('tap mode: bridged and routed starter domains validate on q35 and pc, with no <qemu:commandline>', () => {
  const vm = makeVm();
  for (const machine of ['q35', 'pc'] as const) {
    for (const bridge of ['br0', undefined]) {
      const xml = domainXml(vm, {
        smbios,
        cdrom: { path: '/v/cidata.iso', bus: 'ide' },
        metadataNic: NIC,
        tap: { device: 'tap-web1', bridge, mac: NIC.mac },
        machine,
      });
      validate(xml);
      assert.doesNotMatch(xml, /qemu:commandline|qemu:arg/);
      assert.match(
        xml,
        bridge
          ? /<interface type='bridge'>\s*<source bridge='br0'\/>\s*<target dev='tap-web1'\/>/
          : /<interface type='ethernet'>\s*<target dev='tap-web1'\/>/,
      );
      validate(
        patchDomainXml(HAND, {
          smbios,
          uuid: UUID,
          cdrom: null,
          metadataNic: NIC,
          tap: { device: 'tap-web1', bridge, mac: NIC.mac },
        }),
      );
    }
  }
});

for (const bus of ['ide', 'sata', 'scsi', 'virtio'] as CdromBus[]) {
  test(`the hand-written domain validates after patch (CD on ${bus}) and after removal`, () => {
    const opts = { smbios, uuid: UUID, cdrom: { path: '/var/lib/vmmeta/web1/cidata.iso', bus }, metadataNic: NIC };
    const patched = patchDomainXml(HAND, opts);
    validate(patched);
    validate(patchDomainXml(patched, { ...opts, cdrom: null, metadataNic: null }));
  });
}

test('a pc (i440fx) domain gets an IDE CD-ROM and validates', () => {
  const pc = HAND.replace('machine="pc-q35-7.2"', 'machine="pc-i440fx-7.2"').replace(
    /\s*<target dev='sda' bus='sata'\/>/,
    "\n      <target dev='hda' bus='ide'/>",
  );
  const patched = patchDomainXml(pc, { smbios, uuid: UUID, cdrom: { path: '/v/cidata.iso', bus: 'ide' } });
  assert.match(patched, /<target dev='hdd' bus='ide'\/>/);
  validate(patched);
});

test('every golden domain file validates', () => {
  let n = 0;
  for (const c of readdirSync(GOLDEN, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const f of ['domain.xml', 'patched-domain.xml', 'patched-then-removed.xml']) {
      const path = join(GOLDEN, c.name, f);
      if (!existsSync(path)) continue;
      validate(readFileSync(path, 'utf8'));
      n++;
    }
  }
  assert.ok(n >= 3, `only ${n} golden domain files found`);
});
