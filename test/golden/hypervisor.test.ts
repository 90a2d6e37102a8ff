// Golden files for the hypervisor output: QEMU argv in its three forms, smbios.txt, sysinfo.xml, the starter
// domain and the hand-written domain after `libvirt patch` (CD on, then CD and NIC off). UPDATE_GOLDEN=1 rewrites
// them; review the diff like code. Files live in test/golden-hypervisor/<case>/ (outside test/golden/<case>/,
// which belongs to the renderer goldens).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveSmbios, smbiosText } from '../../src/hypervisor/smbios.js';
import { qemuArgs, argsFileText, argsJson, argsShell, uuidMac } from '../../src/hypervisor/qemu-args.js';
import { guestfwdConnector } from '../../src/hypervisor/connector.js';
import { domainXml, sysinfoXml } from '../../src/hypervisor/libvirt.js';
import { patchDomainXml } from '../../src/hypervisor/libvirt-patch.js';
import { makeVm } from '../unit/hypervisor/fixtures.js';

const DIR = fileURLToPath(new URL('../../../test/golden-hypervisor/', import.meta.url));
const HAND = readFileSync(join(DIR, 'hand-written-domain.xml'), 'utf8');
const STATE = '/var/lib/vmmeta/web1';

const CASES = {
  'openstack-cd': makeVm({
    name: 'web1',
    smbios: { version: '2026.1, build "7"', family: 'Virtual Machine <kvm> & co', chassisManufacturer: 'Ünïcode GmbH' },
    network: {
      links: [{ id: 'eth0', type: 'physical', mac: '52:54:00:12:34:56' }],
      networks: [],
      dns: { servers: [], search: [] },
    },
  }),
  'plain-no-cd': makeVm({ name: 'web1', smbios: { profile: 'plain' }, datasource: { nocloud: 'none' } }),
  'nocloud-net': makeVm({ name: 'web1', datasource: { nocloud: 'net' } }),
  'q35-hotplug': makeVm({
    name: 'web1',
    datasource: { nocloud: 'none' },
    hotplug: { network: true, machine: 'q35', rootPorts: 2 },
  }),
  // Tap mode on a bridge: an <interface type='bridge'> and no <qemu:commandline> at all.
  'tap-bridge': makeVm({
    name: 'web1',
    sidecar: {
      listen: ['169.254.169.254:8801'],
      allowAllInterfaces: false,
      path: 'tap',
      tap: { device: 'tap-web1', bridge: 'br0' },
    },
    network: {
      links: [
        { id: 'eth0', type: 'physical', mac: '52:54:00:12:34:56' },
        { id: 'eth1', type: 'physical', mac: '52:54:00:12:34:57' },
      ],
      networks: [],
      dns: { servers: [], search: [] },
    },
  }),
};

function render(vm: ReturnType<typeof makeVm>): Record<string, string> {
  const smbios = resolveSmbios(vm, { seedUrl: 'http://169.254.169.254/nocloud/' });
  const cdrom = vm.datasource.nocloud === 'cd' ? { path: `${STATE}/cidata.iso`, bus: 'ide' as const } : null;
  const physical = vm.network.links.find((l) => l.type === 'physical');
  const metadataNic = {
    id: 'vmmeta0',
    mac: physical?.mac ?? uuidMac(vm.uuid),
    connector: guestfwdConnector(`${STATE}/sidecar.sock`),
  };
  const rootPorts = vm.hotplug?.machine === 'q35' ? (vm.hotplug.rootPorts ?? 4) : 0;
  const tap = vm.sidecar.tap
    ? { device: vm.sidecar.tap.device, bridge: vm.sidecar.tap.bridge, mac: metadataNic.mac }
    : null;
  const nic = tap ? { tapNic: { id: 'vmmeta0', mac: metadataNic.mac, device: tap.device } } : { metadataNic };
  const argv = qemuArgs({
    uuid: vm.uuid,
    smbios,
    ...(cdrom ? { cdrom } : {}),
    ...nic,
    rootPorts,
    qmpSocket: `${STATE}/qmp.sock`,
  });
  const opts = { smbios, uuid: vm.uuid, cdrom, metadataNic, tap };
  return {
    'qemu-args.txt': argsFileText(argv),
    'qemu-args.sh': argsShell(argv),
    'qemu-args.json': argsJson(argv),
    'smbios.txt': smbiosText(smbios),
    'sysinfo.xml': sysinfoXml(smbios),
    'domain.xml': domainXml(vm, { smbios, cdrom, metadataNic, tap, diskPath: '/var/lib/libvirt/images/web1.qcow2' }),
    'patched-domain.xml': patchDomainXml(HAND, opts),
    'patched-then-removed.xml': patchDomainXml(patchDomainXml(HAND, opts), {
      ...opts,
      cdrom: null,
      metadataNic: null,
      tap: null,
    }),
  };
}

for (const [name, vm] of Object.entries(CASES)) {
  test(`hypervisor golden: ${name}`, () => {
    const dir = join(DIR, name);
    for (const [file, text] of Object.entries(render(vm))) {
      const path = join(dir, file);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(dir, { recursive: true });
        writeFileSync(path, text);
        continue;
      }
      assert.ok(existsSync(path), `${path} missing: run with UPDATE_GOLDEN=1`);
      assert.equal(text, readFileSync(path, 'utf8'), `${name}/${file} differs (UPDATE_GOLDEN=1 to accept)`);
    }
  });
}
