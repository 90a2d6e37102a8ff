// Runs a suite's real ds-identify against a fake root built from what vmmeta emits: the SMBIOS strings go to
// <root>/sys/class/dmi/id/*, and fake `blkid`, `uname` and `systemd-detect-virt` on PATH stand in for the
// attached CDs, the architecture and KVM (cloud-init-client.md §3.6 lists the hooks).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Smbios } from '../../src/hypervisor/smbios.js';

export interface FakeGuest {
  arch: string;
  smbios: Smbios | null; // null: QEMU's defaults (no -smbios at all)
  cidata: boolean;
  config2: boolean;
  imageDatasourceList?: string[];
}

export interface DsIdentifyRun {
  rc: number;
  list: string[] | null;
  cloudCfg: string;
  log: string;
}

// What QEMU 7.2 q35 shows without -smbios (smbios-and-hypervisor.md §1.2, observed).
const QEMU_DEFAULTS = {
  sys_vendor: 'QEMU',
  product_name: 'Standard PC (Q35 + ICH9, 2009)',
  chassis_vendor: 'QEMU',
  chassis_asset_tag: '',
  product_serial: '',
};

export function dmiFiles(smbios: Smbios | null): Record<string, string> {
  const files: Record<string, string> = { ...QEMU_DEFAULTS, board_name: '' };
  if (!smbios) return files;
  const t1 = smbios.type1;
  const t3 = smbios.type3;
  if (t1.manufacturer !== undefined) files.sys_vendor = t1.manufacturer;
  if (t1.product !== undefined) files.product_name = t1.product;
  if (t1.version !== undefined) files.product_version = t1.version;
  if (t1.serial !== undefined) files.product_serial = t1.serial;
  files.product_uuid = t1.uuid;
  if (t1.family !== undefined) files.product_family = t1.family;
  if (t3.manufacturer !== undefined) files.chassis_vendor = t3.manufacturer;
  if (t3.asset !== undefined) files.chassis_asset_tag = t3.asset;
  return files;
}

function script(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

export function runDsIdentify(dsIdentify: string, guest: FakeGuest): DsIdentifyRun {
  const root = mkdtempSync(join(tmpdir(), 'vmmeta-di-'));
  try {
    for (const d of ['sys/class/dmi/id', 'proc/1', 'etc/cloud/cloud.cfg.d', 'run/systemd', 'var/lib/cloud', 'bin'])
      mkdirSync(join(root, d), { recursive: true });
    for (const [name, value] of Object.entries(dmiFiles(guest.smbios)))
      writeFileSync(join(root, 'sys/class/dmi/id', name), value + '\n');
    writeFileSync(join(root, 'proc/cmdline'), 'root=/dev/vda1 ro console=ttyS0\n');
    writeFileSync(join(root, 'proc/1/environ'), '');
    writeFileSync(join(root, 'proc/uptime'), '1.00 1.00\n');
    if (guest.imageDatasourceList)
      writeFileSync(
        join(root, 'etc/cloud/cloud.cfg.d/90-image.cfg'),
        `datasource_list: [ ${guest.imageDatasourceList.join(', ')} ]\n`,
      );
    const records: string[] = [];
    if (guest.cidata) records.push('DEVNAME=/dev/sr0\nUUID=2026-01-01-00-00-00-00\nLABEL=cidata\nTYPE=iso9660\n');
    if (guest.config2) records.push('DEVNAME=/dev/sr1\nUUID=2026-01-01-00-00-00-01\nLABEL=config-2\nTYPE=iso9660\n');
    records.push('DEVNAME=/dev/vda1\nUUID=0b7c1c53-1111-4222-8333-944455556666\nTYPE=ext4\n');
    writeFileSync(join(root, 'blkid.out'), records.join('\n'));
    script(join(root, 'bin/blkid'), `cat '${join(root, 'blkid.out')}'`);
    // 20.4/22.4 call `uname -snrvmo`, 25.1 `uname -svm`.
    script(
      join(root, 'bin/uname'),
      `case "$1" in -snrvmo) echo "Linux vm1 6.1.0-28-amd64 #1 SMP ${guest.arch} GNU/Linux";; *) echo "Linux #1 SMP ${guest.arch}";; esac`,
    );
    script(join(root, 'bin/systemd-detect-virt'), 'echo kvm');
    const log = join(root, 'run/ds-identify.log');
    const res = spawnSync('sh', [dsIdentify, '--force'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: `${join(root, 'bin')}:/usr/bin:/bin`,
        PATH_ROOT: root,
        DI_LOG: log,
        SYSTEMD_VIRTUALIZATION: 'vm:kvm',
        PATH_DI_ENV: join(root, 'none'),
      },
    });
    if (res.status === null) throw new Error(`ds-identify did not finish: ${res.error?.message ?? res.signal}`);
    const cfgPath = join(root, 'run/cloud-init/cloud.cfg');
    const cloudCfg = existsSync(cfgPath) ? readFileSync(cfgPath, 'utf8') : '';
    return {
      rc: res.status,
      list: parseList(cloudCfg),
      cloudCfg,
      log: existsSync(log) ? readFileSync(log, 'utf8') : res.stderr,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// A list only counts at the top level: under `di_report:` (not found) cloud-init ignores it.
export function parseList(cloudCfg: string): string[] | null {
  const m = /^datasource_list: \[ (.*) \]$/m.exec(cloudCfg);
  if (!m) return null;
  return (m[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
