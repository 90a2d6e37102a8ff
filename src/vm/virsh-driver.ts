// The libvirt half of `vmmeta nic add/remove --libvirt DOMAIN`: virsh attach-device --live, and for removal a
// `virsh event … device-removed` watch started before detach-device-alias, so libvirt's confirmation (it follows
// QEMU's DEVICE_DELETED) cannot be missed. Only the argv is tested here (the libvirt daemon belongs to the
// libvirt tests); the order is the same as over QMP.
import { execFile, spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HotNicPlug } from '../hypervisor/hotplug.js';
import {
  attachArgs,
  detachArgs,
  interfaceXml,
  removedEventArgs,
  removedLine,
  type LibvirtTarget,
} from '../hypervisor/libvirt-hotplug.js';

import { EXIT, UserError } from '../errors.js';
import type { HotplugDriver } from '../hypervisor/hotplug.js';

const run = promisify(execFile);

async function virsh(args: string[]): Promise<string> {
  try {
    return (await run('virsh', args, { timeout: 60_000 })).stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; code?: unknown };
    if (e.code === 'ENOENT')
      throw new UserError('virsh is not installed', {
        exitCode: EXIT.failure,
        hint: 'apt-get install libvirt-clients',
      });
    throw new UserError(`virsh ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`, {
      exitCode: EXIT.failure,
      details: ['nothing changed: the documents the guest reads are as they were'],
    });
  }
}

export async function libvirtDriver(t: LibvirtTarget, dir: string): Promise<HotplugDriver> {
  const state = (await virsh([...(t.uri ? ['-c', t.uri] : []), 'domstate', t.domain])).trim();
  if (state !== 'running')
    throw new UserError(`libvirt domain ${t.domain} is not running (${state})`, {
      exitCode: EXIT.failure,
      hint: `virsh start ${t.domain}`,
    });
  return {
    async plug(n: HotNicPlug) {
      const file = join(dir, `.nic-${n.linkId}.xml`);
      await writeFile(file, interfaceXml(n), { mode: 0o600 });
      try {
        await virsh(attachArgs(t, file));
      } finally {
        await rm(file, { force: true });
      }
    },
    async unplug(n: HotNicPlug, timeoutMs: number) {
      const watch = spawn('virsh', removedEventArgs(t, timeoutMs / 1000), { stdio: ['ignore', 'pipe', 'ignore'] });
      const removed = new Promise<boolean>((resolve) => {
        let buf = '';
        watch.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.split('\n').some((l) => removedLine(l, n.linkId))) resolve(true);
        });
        watch.on('close', () => resolve(false));
        watch.on('error', () => resolve(false));
      });
      try {
        await virsh(detachArgs(t, n.linkId));
        if (!(await removed))
          throw new UserError(`${n.linkId} was not unplugged: no device-removed event within ${timeoutMs / 1000} s`, {
            exitCode: EXIT.failure,
            details: ['nothing changed in the documents: the link stays until the device is gone'],
          });
      } finally {
        watch.kill();
      }
    },
    close() {},
  };
}
