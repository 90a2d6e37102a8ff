// `vmmeta libvirt patch` on the domains a user really has: Debian's virt-install --print-xml, for pc and for q35,
// patched, defined and started under a real libvirtd with Debian's defaults (lib/libvirt-lab.ts). The busybox
// guest must see its SMBIOS, CD and own documents through its tap; patching again must change nothing. On the
// q35 domain, `vmmeta nic add/remove --libvirt` then drives libvirt's live attach and detach while the guest
// runs: the guest sees the NIC appear, reads network_data.json listing it, and sees it go; the link leaves the
// documents only after libvirt's device-removed event.
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectSmallGuest, type SmallSpec } from './lib/small-expect.js';
import { keyValues } from './lib/report.js';
import type { CreatedVm } from './lib/vmmeta.js';
import { libvirtLab, assertStockDefaults, smallReport, type LibvirtLab } from './lib/libvirt-lab.js';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINH3akpMqRH3qehL8mfiGrOE6UE5CRtB1AqhlQVU638q ops@example';
const BRIDGE = 'vmm14pbr';
const HOT = { id: 'data0', mac: '52:54:00:14:02:10', cidr: '10.77.0.5/24', tap: 'tap-vi-hot' };

const spec = (machine: 'pc' | 'q35', n: number): SmallSpec & { sidecar: unknown } => ({
  name: `vi-${machine}`,
  uuid: `7c1e2f3a-4b5c-4d6e-8f70-0000000001${String(n).padStart(2, '0')}`,
  hostname: `vi-${machine}.example.net`,
  sshKeys: [{ name: 'ops', key: ED25519 }],
  smbios: {
    manufacturer: 'OpenStack Foundation',
    product: 'OpenStack Nova',
    version: 'vmmeta-test',
    serial: `serial-vi-${machine}`,
    family: 'Virtual Machine',
    assetTag: 'OpenStack Nova',
  },
  datasource: { nocloud: 'cd' },
  network: {
    links: [{ id: 'eth0', type: 'physical', mac: `52:54:00:14:02:0${n}` }],
    networks: [{ link: 'eth0', type: 'ipv4_dhcp' }],
  },
  sidecar: { path: 'tap', tap: { device: `tap-vi-${machine}`, bridge: BRIDGE, port: 18820 + n } },
});

describe('libvirt patch on virt-install domains, and nic add/remove --libvirt', { timeout: 12 * 60_000 }, () => {
  let lab: LibvirtLab;
  const vms: CreatedVm[] = [];

  before(async () => {
    lab = await libvirtLab('patch', BRIDGE);
  });
  after(() => {
    for (const vm of vms) lab?.cli(['stop', vm.name]);
    lab?.close();
  });

  // What a user runs: no disk, no network of libvirt's (the tap NIC is vmmeta's), the serial console to a file.
  const virtInstall = (name: string, machine: 'pc' | 'q35', append: string, uuid?: string): string => {
    const r = lab.lv.inNs([
      'virt-install',
      '--connect',
      'qemu:///system',
      '--print-xml',
      '--name',
      name,
      ...(uuid ? ['--uuid', uuid] : []),
      '--memory',
      '256',
      '--vcpus',
      '1',
      '--machine',
      machine,
      '--virt-type',
      'qemu',
      '--osinfo',
      'linux2022',
      '--disk',
      'none',
      '--network',
      'none',
      '--graphics',
      'none',
      '--boot',
      `kernel=${lab.kernel},initrd=${lab.initrd},kernel_args=${append}`,
      '--serial',
      `file,path=${lab.serialLog(name)}`,
    ]);
    assert.equal(r.status, 0, `virt-install --print-xml: ${r.stderr}`);
    return r.stdout;
  };

  const served = (vm: CreatedVm, path: string): string =>
    execFileSync('curl', ['-sf', '--unix-socket', join(vm.dir, 'sidecar.sock'), `http://vmmeta${path}`], {
      encoding: 'utf8',
    });

  for (const [machine, n] of [
    ['pc', 1],
    ['q35', 2],
  ] as const) {
    const hotplug = machine === 'q35';
    it(
      `${machine}: patched virt-install output defines, starts, and serves the guest its own metadata${hotplug ? '; a NIC hot-plugged and unplugged through libvirt' : ''}`,
      { timeout: 300_000 },
      async () => {
        const s = spec(machine, n);
        const vm = await lab.createVm(s as unknown as Record<string, unknown>);
        vms.push(vm);
        const append = `${lab.guest.append}${hotplug ? ` vmmeta.hotplug_mac=${HOT.mac}` : ''}`;
        const file = join(lab.lv.dir, `${vm.name}.xml`);

        // virt-install makes up a uuid: patch refuses it (SMBIOS, metadata and libvirt must agree) and says how.
        writeFileSync(file, virtInstall(vm.name, machine, append));
        const refused = lab.cli(['libvirt', 'patch', file, vm.name, '--in-place']);
        assert.equal(refused.status, 4, refused.stderr);
        assert.match(refused.stderr, /the domain's uuid \S+ differs from the VM's/);
        const original = virtInstall(vm.name, machine, append, s.uuid);
        writeFileSync(file, original);
        const patched = lab.cli(['libvirt', 'patch', file, vm.name, '--in-place']);
        assert.equal(patched.status, 0, patched.stderr);
        const once = readFileSync(file, 'utf8');
        assert.notEqual(once, original);
        assert.doesNotMatch(once, /qemu:commandline/, 'tap mode: no QEMU passthrough');
        const again = lab.cli(['libvirt', 'patch', file, vm.name]);
        assert.equal(again.status, 0, again.stderr);
        assert.equal(again.stdout, once, 'patching again changes nothing');

        lab.define(vm.name, once);
        const t = Date.now();
        const st = lab.lv.virsh(['start', vm.name]);
        assert.equal(st.status, 0, `virsh start: ${st.stderr}`);
        if (hotplug) {
          const ready = await lab.waitSerial(vm.name, '=== BEGIN hotplug_added ===', 150_000);
          assert.ok(ready, `${vm.name}: the guest never reached its hot-plug phase`);
          assert.equal(
            lab.lv.inNs(['ip', 'tuntap', 'add', 'dev', HOT.tap, 'mode', 'tap'], { mounts: false }).status,
            0,
          );
          const add = lab.cli(
            [
              'nic',
              'add',
              vm.name,
              '--libvirt',
              vm.name,
              '--connect',
              'qemu:///system',
              '--id',
              HOT.id,
              '--mac',
              HOT.mac,
              '--address',
              HOT.cidr,
              '--tap',
              HOT.tap,
            ],
            { mounts: true },
          );
          assert.equal(add.status, 0, `nic add --libvirt: ${add.stderr}`);
          assert.match(served(vm, '/openstack/latest/network_data.json'), new RegExp(HOT.mac));
          const seen = await lab.waitSerial(vm.name, '=== END hotplug_network_data ===', 120_000);
          assert.ok(seen, `${vm.name}: the guest never saw the hot-plugged NIC`);
          const remove = lab.cli(['nic', 'remove', vm.name, HOT.id, '--timeout', '60'], { mounts: true });
          assert.equal(remove.status, 0, `nic remove (libvirt): ${remove.stderr}`);
          assert.doesNotMatch(served(vm, '/openstack/latest/network_data.json'), new RegExp(HOT.mac));
        }
        const log = await lab.waitSerial(vm.name, '=== GUEST DONE ===', 150_000);
        const durationMs = Date.now() - t;
        await lab.waitShutOff(vm.name);
        const report = smallReport(`libvirt-${vm.name}`, log, durationMs, lab.saveLogs(vm.name, log, durationMs));
        expectSmallGuest(report, s);
        assertStockDefaults(lab, vm.name);
        if (hotplug) {
          assert.match(
            keyValues(report.section('hotplug_added')).added ?? '',
            /^\S+$/,
            `no NIC appeared${report.where()}`,
          );
          const nd = report.json('hotplug_network_data') as {
            links: Array<{ ethernet_mac_address: string }>;
            networks: Array<{ ip_address?: string }>;
          };
          assert.deepEqual(
            nd.links.map((l) => l.ethernet_mac_address),
            [s.network.links[0]!.mac, HOT.mac],
          );
          assert.ok(nd.networks.some((x) => x.ip_address === HOT.cidr.split('/')[0]));
          assert.equal(
            keyValues(report.section('hotplug_removed')).removed,
            keyValues(report.section('hotplug_added')).added,
            `the NIC did not go${report.where()}`,
          );
        }
      },
    );
  }
});
