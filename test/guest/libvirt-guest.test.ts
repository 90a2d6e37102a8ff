// vmmeta's libvirt output under a real libvirtd with Debian's defaults (QEMU as libvirt-qemu, dynamic ownership,
// seccomp sandbox on), in a private network and mount namespace (lib/libvirtd.ts). Tap mode on a bridge: the
// busybox guest, on pc and on q35, must see its SMBIOS bytes (a comma included), its cidata CD, and its own
// documents through its tap and its nft rules; libvirt must not taint the domain. vmmeta's qemu hook
// (templates/libvirt-hook-qemu, in the daemon's private hooks folder) starts each sidecar before QEMU and stops
// it when the domain ends; a sidecar that cannot start fails `virsh start` with the reason.
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestReport } from './lib/report.js';
import { expectSmallGuest, type SmallSpec } from './lib/small-expect.js';
import { accessLog, type CreatedVm } from './lib/vmmeta.js';
import {
  libvirtLab,
  assertStockDefaults,
  processGone,
  smallReport,
  until,
  type LibvirtLab,
} from './lib/libvirt-lab.js';
import { forTest } from './lib/libvirt-domain.js';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINH3akpMqRH3qehL8mfiGrOE6UE5CRtB1AqhlQVU638q ops@example';
const BRIDGE = 'vmm14br';

const spec = (machine: 'pc' | 'q35', n: number): SmallSpec & { sidecar: unknown } => ({
  name: `lv-${machine}`,
  uuid: `7c1e2f3a-4b5c-4d6e-8f70-0000000000${String(n).padStart(2, '0')}`,
  hostname: `lv-${machine}.example.net`,
  sshKeys: [{ name: 'ops', key: ED25519 }],
  meta: { machine },
  smbios: {
    manufacturer: 'OpenStack Foundation',
    product: 'OpenStack Nova',
    version: 'vmmeta-test',
    serial: `serial-${machine}`,
    family: 'VM family, with comma',
    assetTag: 'OpenStack Nova',
  },
  datasource: { nocloud: 'cd' },
  network: {
    links: [{ id: 'eth0', type: 'physical', mac: `52:54:00:14:00:0${n}` }],
    networks: [{ link: 'eth0', type: 'ipv4_dhcp' }],
  },
  sidecar: { path: 'tap', tap: { device: `tap-lv-${machine}`, bridge: BRIDGE, port: 18800 + n } },
});

describe('libvirt: busybox guests from vmmeta domain.xml under a real libvirtd', { timeout: 12 * 60_000 }, () => {
  let lab: LibvirtLab;
  const vms = new Map<string, CreatedVm>();

  before(async () => {
    lab = await libvirtLab('guest', BRIDGE);
  });

  after(() => {
    for (const vm of vms.values()) lab?.cli(['stop', vm.name]);
    lab?.close();
  });

  const testXml = (vm: CreatedVm, machine: 'pc' | 'q35') =>
    forTest(readFileSync(join(vm.dir, 'domain.xml'), 'utf8'), {
      kernel: lab.kernel,
      initrd: lab.initrd,
      append: lab.guest.append,
      machine,
      serialLog: lab.serialLog(vm.name),
    });

  const boot = async (
    machine: 'pc' | 'q35',
    n: number,
  ): Promise<{ report: GuestReport; s: SmallSpec; vm: CreatedVm }> => {
    const s = spec(machine, n);
    const vm = await lab.createVm(s as unknown as Record<string, unknown>);
    vms.set(vm.name, vm);
    assert.doesNotMatch(
      readFileSync(join(vm.dir, 'domain.xml'), 'utf8'),
      /qemu:commandline/,
      'tap mode: no passthrough',
    );
    lab.define(vm.name, testXml(vm, machine));
    const t = Date.now();
    const st = lab.lv.virsh(['start', vm.name]);
    assert.equal(st.status, 0, `virsh start: ${st.stderr}`);
    const log = await lab.waitSerial(vm.name, '=== GUEST DONE ===', 150_000);
    const durationMs = Date.now() - t;
    // The guest powers off (on_poweroff: destroy); wait until libvirt has released the domain.
    await lab.waitShutOff(vm.name);
    const logPath = lab.saveLogs(vm.name, log, durationMs);
    // Guest shutdown: libvirt's release/end hook stops the sidecar (a clean stop removes sidecar.json).
    await until(
      () => !existsSync(join(vm.dir, 'sidecar.json')),
      15_000,
      `${vm.name}: the sidecar still runs after the guest powered off`,
    );
    return { report: smallReport(`libvirt-${vm.name}`, log, durationMs, logPath), s, vm };
  };

  for (const [machine, n] of [
    ['pc', 1],
    ['q35', 2],
  ] as const) {
    it(
      `${machine}: the guest sees its SMBIOS, CD and own documents through its tap; no taint`,
      { timeout: 240_000 },
      async () => {
        const others = await Promise.all([...vms.values()].map(async (v) => [v, (await accessLog(v)).length] as const));
        const { report, s, vm } = await boot(machine, n);
        expectSmallGuest(report, s);
        assertStockDefaults(lab, vm.name);
        const requests = (await accessLog(vm)).filter((r) => !String(r.path ?? '').includes('vmmeta=probe'));
        assert.ok(requests.length >= 3, `the guest's sidecar answered ${requests.length} requests`);
        // The other VM's sidecar saw none of this guest's requests: each tap reaches only its own sidecar.
        for (const [other, before] of others)
          assert.equal((await accessLog(other)).length, before, `${other.name}'s sidecar answered ${vm.name}`);
      },
    );
  }

  it(
    'the hook: a sidecar that cannot start fails virsh start with the reason; virsh destroy stops the sidecar',
    { timeout: 180_000 },
    async () => {
      const s = {
        ...spec('pc', 9),
        name: 'lv-hook',
        sidecar: { path: 'tap', tap: { device: 'tap-lv-hook', bridge: BRIDGE, port: 18809 } },
      };
      const vm = await lab.createVm(s as unknown as Record<string, unknown>);
      vms.set(vm.name, vm);
      lab.define(vm.name, testXml(vm, 'pc'));
      // Something else holds the sidecar's port: vmmeta start fails, so the hook fails, so libvirt refuses.
      const blocker = lab.lv.spawnInNs([
        process.execPath,
        '-e',
        "require('node:net').createServer().listen(18809, '169.254.169.254', () => console.log('up'))",
      ]);
      try {
        await new Promise<void>((r) => blocker.stdout!.once('data', () => r()));
        const refused = lab.lv.virsh(['start', vm.name]);
        assert.notEqual(refused.status, 0, 'virsh start succeeded without a sidecar');
        assert.match(refused.stderr, /Hook script execution failed/);
        assert.match(refused.stderr, /vmmeta: the metadata sidecar of lv-hook did not start/);
        assert.match(lab.lv.virsh(['domstate', vm.name]).stdout, /shut off/);
      } finally {
        blocker.kill('SIGKILL');
      }
      await new Promise((r) => setTimeout(r, 500));
      const started = lab.lv.virsh(['start', vm.name]);
      assert.equal(started.status, 0, started.stderr);
      // prepare/begin ran before QEMU: the sidecar answers by the time virsh start returns.
      const info = JSON.parse(readFileSync(join(vm.dir, 'sidecar.json'), 'utf8')) as { pid: number };
      assert.ok(info.pid > 0);
      assert.equal(lab.lv.virsh(['destroy', vm.name]).status, 0);
      await until(() => !existsSync(join(vm.dir, 'sidecar.json')), 15_000, 'virsh destroy left the sidecar running');
      await until(
        () => processGone(info.pid),
        10_000,
        `the sidecar process ${info.pid} is still running after virsh destroy`,
      );
    },
  );

  it('the comma question: libvirt doubles <sysinfo> commas itself, so vmmeta writes them single', () => {
    const vm = vms.get('lv-q35');
    assert.ok(vm, 'needs the q35 VM');
    const native = lab.lv.virsh(['domxml-to-native', 'qemu-argv', '--domain', vm.name]);
    assert.equal(native.status, 0, native.stderr);
    assert.match(
      native.stdout,
      /type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova,version=vmmeta-test,serial=serial-q35,uuid=[0-9a-f-]+,family=VM family,, with comma/,
    );
    // The chassis: vmmeta sets only the asset tag; libvirt still writes an empty manufacturer for type 3.
    assert.match(native.stdout, /type=3,manufacturer=,asset=OpenStack Nova/);
    assert.match(
      readFileSync(join(vm.dir, 'domain.xml'), 'utf8'),
      /<entry name='family'>VM family, with comma<\/entry>/,
    );
  });
});
