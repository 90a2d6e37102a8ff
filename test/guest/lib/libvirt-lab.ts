// One libvirt test file's world: a real libvirtd in its own namespaces (libvirtd.ts) with vmmeta's qemu hook
// installed as the template stands, a bridge with dnsmasq (libvirt-net.ts) and `vmmeta host-setup`, a private
// state root, and the small guest's kernel and initrd copied where libvirt-qemu can open them. The helpers
// define and start a domain, follow its serial log, and save both logs as artifacts. close() stops everything.
import * as assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { smallGuest, type SmallGuest } from './initramfs.js';
import { artifactsDir, REPO_ROOT } from './cache.js';
import { createVm, type CreatedVm } from './vmmeta.js';
import { GuestReport } from './report.js';
import { startLibvirtd, type Libvirtd, type Run } from './libvirtd.js';
import { bridgeUp } from './libvirt-net.js';
import { recordTiming } from '../../helpers/timings.js';

const BIN = join(REPO_ROOT, 'bin', 'vmmeta.js');

export interface LibvirtLab {
  lv: Libvirtd;
  root: string; // VMMETA_STATE_DIR, 0711 as vmmeta makes it: libvirt-qemu must reach the ISOs
  bridge: string;
  guest: SmallGuest;
  kernel: string; // private copies: libvirt's dynamic ownership chowns them while a domain runs
  initrd: string;
  // The CLI inside the namespace. mounts: also in the daemon's mount namespace, where virsh reaches it.
  cli(args: string[], o?: { mounts?: boolean }): Run;
  createVm(spec: Record<string, unknown>, flags?: string[]): Promise<CreatedVm>;
  define(name: string, xml: string): void;
  serialLog(name: string): string; // where the test's domain XML sends the serial console
  // Follows the serial log until `marker` appears (returns the log so far) or the deadline passes (returns '').
  waitSerial(name: string, marker: string, ms: number): Promise<string>;
  waitShutOff(name: string): Promise<void>;
  saveLogs(name: string, serial: string, durationMs: number): string;
  close(): void;
}

export async function libvirtLab(name: string, bridge: string): Promise<LibvirtLab> {
  const guest = await smallGuest();
  const work = mkdtempSync(`/tmp/vmm14-${name}-`);
  chmodSync(work, 0o711);
  const root = join(work, 'state');
  mkdirSync(root, { mode: 0o711 });
  const hook = `#!/bin/sh\nexport VMMETA='${process.execPath} ${BIN}' VMMETA_STATE_DIR='${root}'\nexec ${join(REPO_ROOT, 'templates', 'libvirt-hook-qemu')} "$@"\n`;
  let lv: Libvirtd | undefined;
  let dnsmasq: ChildProcess | undefined;
  const close = () => {
    dnsmasq?.kill('SIGKILL');
    lv?.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    lv = await startLibvirtd({ name, hook });
    dnsmasq = bridgeUp(lv, bridge);
    const env = { ...process.env, VMMETA_STATE_DIR: root, NO_COLOR: '1' };
    const cli: LibvirtLab['cli'] = (args, o = {}) =>
      lv!.inNs([process.execPath, BIN, ...args], { mounts: o.mounts ?? false, env });
    const setup = cli(['host-setup', '--bridge', bridge]);
    assert.equal(setup.status, 0, `vmmeta host-setup: ${setup.stderr}`);
    const kernel = join(lv.dir, 'vmlinuz');
    const initrd = join(lv.dir, 'initrd.gz');
    for (const [from, to] of [
      [guest.kernel.vmlinuz, kernel],
      [guest.initrd, initrd],
    ] as const) {
      copyFileSync(from, to);
      chmodSync(to, 0o644);
    }
    const l = lv;
    const serialLog = (vm: string) => `/var/log/libvirt/qemu/${vm}-serial.log`;
    return {
      lv,
      root,
      bridge,
      guest,
      kernel,
      initrd,
      cli,
      createVm: (spec, flags = ['--no-start']) => createVm(root, spec, flags, { netns: l.netns }),
      define(vm, xml) {
        const file = join(l.dir, `${vm}.xml`);
        writeFileSync(file, xml);
        const r = l.virsh(['define', file]);
        assert.equal(r.status, 0, `virsh define ${vm}: ${r.stderr}`);
      },
      serialLog,
      async waitSerial(vm, marker, ms) {
        const end = Date.now() + ms;
        for (;;) {
          const log = l.readPrivate(serialLog(vm));
          if (log.includes(marker)) return log;
          if (Date.now() > end) return '';
          await new Promise((r) => setTimeout(r, 1000));
        }
      },
      async waitShutOff(vm) {
        for (let i = 0; i < 60 && !/shut off/.test(l.virsh(['domstate', vm]).stdout); i++)
          await new Promise((r) => setTimeout(r, 500));
      },
      saveLogs(vm, serial, durationMs) {
        const path = join(artifactsDir(), `libvirt-${vm}.serial.log`);
        const domainLog = l.readPrivate(`/var/log/libvirt/qemu/${vm}.log`);
        writeFileSync(path, `${serial || l.readPrivate(serialLog(vm))}\n--- libvirt domain log ---\n${domainLog}`);
        recordTiming('boot', `libvirt-${vm}`, durationMs / 1000, {});
        console.log(`# libvirt ${vm}: ${(durationMs / 1000).toFixed(1)} s, serial log ${path}`);
        return path;
      },
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}

// The domain log libvirt keeps for a domain: the QEMU command line, the sandbox, and any taint or crash line.
export function domainLog(lab: LibvirtLab, vm: string): string {
  return lab.lv.readPrivate(`/var/log/libvirt/qemu/${vm}.log`);
}

export function assertStockDefaults(lab: LibvirtLab, vm: string): void {
  const log = domainLog(lab, vm);
  assert.match(
    log,
    /-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny/,
    'Debian default sandbox in force',
  );
  assert.doesNotMatch(log, /tainted/, `libvirt tainted ${vm}:\n${log}`);
  assert.doesNotMatch(log, /shutting down, reason=crashed/, `${vm} crashed:\n${log}`);
}

// A serial log as the report the small guest's checks read (sections between "=== BEGIN x ===" markers).
export function smallReport(name: string, log: string, durationMs: number, logPath: string): GuestReport {
  return new GuestReport({
    name,
    log: log.replaceAll('\r\n', '\n'),
    durationMs,
    exitCode: 0,
    timedOut: !log.includes('=== GUEST DONE ==='),
    logPath,
    argv: [],
  });
}

// Gone, or a zombie: the hook's sidecar is a child of libvirtd's hook process, which need not reap it at once.
export function processGone(pid: number): boolean {
  try {
    return /^\S+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

export async function until(ok: () => boolean, ms: number, message: string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(message);
    await new Promise((r) => setTimeout(r, 250));
  }
}
