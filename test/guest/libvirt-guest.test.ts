// vmmeta's libvirt output under a real libvirtd with Debian's defaults (QEMU as libvirt-qemu, dynamic ownership,
// seccomp sandbox on), in a private network and mount namespace (lib/libvirtd.ts). Tap mode on a bridge: the
// busybox guest, on pc and on q35, must see its SMBIOS bytes (a comma included), its cidata CD, and its own
// documents through its tap and its nft rules; libvirt must not taint the domain. vmmeta's qemu hook
// (templates/libvirt-hook-qemu, in the daemon's private hooks folder) starts each sidecar before QEMU and stops
// it when the domain ends; a sidecar that cannot start fails `virsh start` with the reason.
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { smallGuest, type SmallGuest } from './lib/initramfs.js';
import { GuestReport } from './lib/report.js';
import { expectSmallGuest, type SmallSpec } from './lib/small-expect.js';
import { artifactsDir, REPO_ROOT } from './lib/cache.js';
import { createVm, accessLog, type CreatedVm } from './lib/vmmeta.js';
import { startLibvirtd, type Libvirtd } from './lib/libvirtd.js';
import { bridgeUp } from './lib/libvirt-net.js';
import { forTest } from './lib/libvirt-domain.js';
import { recordTiming } from '../helpers/timings.js';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINH3akpMqRH3qehL8mfiGrOE6UE5CRtB1AqhlQVU638q ops@example';
const BRIDGE = 'vmm14br';
const BIN = join(REPO_ROOT, 'bin', 'vmmeta.js');

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

// Gone, or a zombie: the hook's sidecar is a child of libvirtd's hook process, which need not reap it at once.
function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^\S+ \(.*\) [ZX] /.test(stat);
  } catch {
    return true;
  }
}

async function until(ok: () => boolean, ms: number, message: string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(message);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('libvirt: busybox guests from vmmeta domain.xml under a real libvirtd', { timeout: 12 * 60_000 }, () => {
  let guest: SmallGuest;
  let lv: Libvirtd | undefined;
  let dnsmasq: ChildProcess | undefined;
  let work: string;
  let root: string;
  const vms = new Map<string, CreatedVm>();

  const cli = (args: string[]) =>
    lv!.inNs([process.execPath, BIN, ...args], {
      mounts: false,
      env: { ...process.env, VMMETA_STATE_DIR: root, NO_COLOR: '1' },
    });

  before(async () => {
    guest = await smallGuest();
    work = mkdtempSync('/tmp/vmm14-guest-');
    chmodSync(work, 0o711);
    root = join(work, 'state');
    mkdirSync(root, { mode: 0o711 }); // the mode vmmeta gives a root it creates: libvirt-qemu must reach the ISOs
    // The template as is, with its two settings: how to run vmmeta, and the state root.
    const hook = `#!/bin/sh\nexport VMMETA='${process.execPath} ${BIN}' VMMETA_STATE_DIR='${root}'\nexec ${join(REPO_ROOT, 'templates', 'libvirt-hook-qemu')} "$@"\n`;
    lv = await startLibvirtd({ name: 'guest', hook });
    dnsmasq = bridgeUp(lv, BRIDGE);
    const setup = cli(['host-setup', '--bridge', BRIDGE]);
    assert.equal(setup.status, 0, `vmmeta host-setup: ${setup.stderr}`);
    // Private copies: libvirt's dynamic ownership chowns the kernel and initrd while a domain runs.
    for (const [from, to] of [
      [guest.kernel.vmlinuz, 'vmlinuz'],
      [guest.initrd, 'initrd.gz'],
    ] as const) {
      copyFileSync(from, join(lv.dir, to));
      chmodSync(join(lv.dir, to), 0o644);
    }
  });

  after(() => {
    for (const vm of vms.values()) if (lv) cli(['stop', vm.name]);
    dnsmasq?.kill('SIGKILL');
    lv?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const boot = async (
    machine: 'pc' | 'q35',
    n: number,
  ): Promise<{ report: GuestReport; s: SmallSpec; vm: CreatedVm }> => {
    const s = spec(machine, n);
    const vm = await createVm(root, s as unknown as Record<string, unknown>, ['--no-start'], { netns: lv!.netns });
    vms.set(vm.name, vm);
    const xml = readFileSync(join(vm.dir, 'domain.xml'), 'utf8');
    assert.doesNotMatch(xml, /qemu:commandline/, 'tap mode: no QEMU passthrough');
    const serialLog = `/var/log/libvirt/qemu/${vm.name}-serial.log`;
    const file = join(lv!.dir, `${vm.name}.xml`);
    writeFileSync(
      file,
      forTest(xml, {
        kernel: join(lv!.dir, 'vmlinuz'),
        initrd: join(lv!.dir, 'initrd.gz'),
        append: guest.append,
        machine,
        serialLog,
      }),
    );
    const defined = lv!.virsh(['define', file]);
    assert.equal(defined.status, 0, `virsh define: ${defined.stderr}`);
    const t = Date.now();
    const st = lv!.virsh(['start', vm.name]);
    assert.equal(st.status, 0, `virsh start: ${st.stderr}`);
    let log = '';
    while (Date.now() - t < 150_000) {
      log = lv!.readPrivate(serialLog);
      if (log.includes('=== GUEST DONE ===')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const durationMs = Date.now() - t;
    // The guest powers off (on_poweroff: destroy); wait until libvirt has released the domain.
    for (let i = 0; i < 60 && !/shut off/.test(lv!.virsh(['domstate', vm.name]).stdout); i++)
      await new Promise((r) => setTimeout(r, 500));
    const logPath = join(artifactsDir(), `libvirt-${vm.name}.serial.log`);
    const qemuLog = lv!.readPrivate(`/var/log/libvirt/qemu/${vm.name}.log`);
    writeFileSync(logPath, `${log}\n--- libvirt domain log ---\n${qemuLog}`);
    recordTiming('boot', `libvirt-${vm.name}`, durationMs / 1000, {});
    console.log(`# libvirt ${machine}: ${(durationMs / 1000).toFixed(1)} s, serial log ${logPath}`);
    const timedOut = !log.includes('=== GUEST DONE ===');
    // Guest shutdown: libvirt's release/end hook stops the sidecar (a clean stop removes sidecar.json).
    await until(
      () => !existsSync(join(vm.dir, 'sidecar.json')),
      15_000,
      `${vm.name}: the sidecar still runs after the guest powered off`,
    );
    return {
      report: new GuestReport({
        name: `libvirt-${vm.name}`,
        log: log.replaceAll('\r\n', '\n'),
        durationMs,
        exitCode: 0,
        timedOut,
        logPath,
        argv: [],
      }),
      s,
      vm,
    };
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
        const qemuLog = lv!.readPrivate(`/var/log/libvirt/qemu/${vm.name}.log`);
        assert.match(
          qemuLog,
          /-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny/,
          'Debian default sandbox in force',
        );
        assert.doesNotMatch(qemuLog, /tainted/, `libvirt tainted the domain:\n${qemuLog}`);
        assert.doesNotMatch(qemuLog, /shutting down, reason=crashed/);
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
      const vm = await createVm(root, s as unknown as Record<string, unknown>, ['--no-start'], { netns: lv!.netns });
      vms.set(vm.name, vm);
      const file = join(lv!.dir, `${vm.name}.xml`);
      const xml = readFileSync(join(vm.dir, 'domain.xml'), 'utf8');
      writeFileSync(
        file,
        forTest(xml, {
          kernel: join(lv!.dir, 'vmlinuz'),
          initrd: join(lv!.dir, 'initrd.gz'),
          append: guest.append,
          machine: 'pc',
          serialLog: `/var/log/libvirt/qemu/${vm.name}-serial.log`,
        }),
      );
      assert.equal(lv!.virsh(['define', file]).status, 0);
      // Something else holds the sidecar's port: vmmeta start fails, so the hook fails, so libvirt refuses.
      const blocker = lv!.spawnInNs([
        process.execPath,
        '-e',
        "require('node:net').createServer().listen(18809, '169.254.169.254', () => console.log('up'))",
      ]);
      try {
        await new Promise<void>((r) => blocker.stdout!.once('data', () => r()));
        const refused = lv!.virsh(['start', vm.name]);
        assert.notEqual(refused.status, 0, 'virsh start succeeded without a sidecar');
        assert.match(refused.stderr, /Hook script execution failed/);
        assert.match(refused.stderr, /vmmeta: the metadata sidecar of lv-hook did not start/);
        assert.match(lv!.virsh(['domstate', vm.name]).stdout, /shut off/);
      } finally {
        blocker.kill('SIGKILL');
      }
      await new Promise((r) => setTimeout(r, 500));
      const started = lv!.virsh(['start', vm.name]);
      assert.equal(started.status, 0, started.stderr);
      // prepare/begin ran before QEMU: the sidecar answers by the time virsh start returns.
      const info = JSON.parse(readFileSync(join(vm.dir, 'sidecar.json'), 'utf8')) as { pid: number };
      assert.ok(info.pid > 0);
      assert.equal(lv!.virsh(['destroy', vm.name]).status, 0);
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
    const native = lv!.virsh(['domxml-to-native', 'qemu-argv', '--domain', vm.name]);
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
