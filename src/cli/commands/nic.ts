// vmmeta nic add|remove <vm>: hot-plug a NIC into the running VM and change what its sidecar serves, in the
// order cloud-init's hotplug hook needs (cloudinit/cmd/devel/hotplug_hook.py). add: netdev_add + device_add,
// then network_data.json gains the link (the hook retries for ~49 s until the new MAC is there; a
// network_data.json listing a MAC the guest lacks would fail its whole conversion, so never the other way
// round). remove: device_del, DEVICE_DELETED, netdev_del, and only then is the link dropped.
import { chmod, lstat } from 'node:fs/promises';
import { withVmLock } from '../../state/lock.js';
import { readState, requireVm } from '../../state/store.js';
import type { VmPaths } from '../../state/paths.js';
import { qmpConnect, QmpCommandError, type QmpSession } from '../../hypervisor/qmp.js';
import {
  deviceAddArgs,
  deviceId,
  netdevAddArgs,
  netdevId,
  type HotNicPlug,
  type HotplugDriver,
} from '../../hypervisor/hotplug.js';
import { EXIT, UserError } from '../../errors.js';
import type { HotNic } from '../../vm/overrides.js';
import { planWithNics, storedNics, swapDocuments } from '../../vm/nic-apply.js';
import { newHotNic, type NicAddInput } from '../../vm/nic-input.js';

export const DEVICE_DELETED_TIMEOUT_MS = 30_000;

function qmpDriver(qmp: QmpSession): HotplugDriver {
  return { plug: (n) => plug(qmp, n), unplug: (n, ms) => unplug(qmp, n, ms), close: () => qmp.close() };
}

async function driverFor(p: VmPaths, via: HotNic['via']): Promise<HotplugDriver> {
  if (via?.libvirt) return (await import('../../vm/virsh-driver.js')).libvirtDriver(via.libvirt, p.dir);
  return qmpDriver(await openQmp(p));
}

export interface NicResult {
  vm: string;
  action: 'added' | 'removed';
  nic: {
    id: string;
    mac: string;
    networks: HotNic['networks'];
    backend: HotNic['backend'];
    netdev: string;
    device: string;
    bus: string | null;
  };
  sidecar: 'reloaded' | 'not running';
  instanceId: string; // unchanged by design: a hot-plug is no new instance
  at: string; // when the hypervisor event happened (inspect compares the guest's next network_data.json fetch with it)
  ms: { hypervisor: number; metadata: number };
}

export function plugOf(n: HotNic): HotNicPlug {
  return { linkId: n.link.id, mac: n.link.mac, backend: n.backend, port: n.port };
}

// A VM that is not running has no QMP socket (or a stale one nobody listens on): nothing is changed.
async function openQmp(p: VmPaths): Promise<QmpSession> {
  const st = await lstat(p.qmpSock).catch(() => undefined);
  const hint = `start the VM with the arguments in ${p.qemuArgsTxt} (they carry -qmp unix:${p.qmpSock}); a VM created before vmmeta had nic commands gets them with: vmmeta update ${p.name} <spec.yaml>`;
  if (!st)
    throw new UserError(`${p.name} is not running: it has no QMP socket (${p.qmpSock})`, {
      exitCode: EXIT.failure,
      hint,
    });
  if (!st.isSocket())
    throw new UserError(`${p.qmpSock} is not a socket`, {
      exitCode: EXIT.failure,
      hint: 'remove it; QEMU creates the socket when it starts',
    });
  // QEMU creates the socket with the umask's mode; the 0700 folder already keeps others out, 0600 says so too.
  if ((st.mode & 0o077) !== 0) await chmod(p.qmpSock, 0o600).catch(() => undefined);
  try {
    return await qmpConnect(p.qmpSock);
  } catch (err) {
    throw new UserError(`${p.name} is not running: nobody answers on ${p.qmpSock} (${(err as Error).message})`, {
      exitCode: EXIT.failure,
      hint,
    });
  }
}

async function plug(qmp: QmpSession, n: HotNicPlug): Promise<void> {
  try {
    await qmp.execute('netdev_add', netdevAddArgs(n));
  } catch (err) {
    throw qemuRefused(err, 'netdev_add', n);
  }
  try {
    await qmp.execute('device_add', deviceAddArgs(n));
  } catch (err) {
    await qmp.execute('netdev_del', { id: netdevId(n.linkId) }).catch(() => undefined);
    throw qemuRefused(err, 'device_add', n);
  }
}

// device_del only asks the guest (ACPI/PCIe hot-unplug); the device is gone once QEMU says DEVICE_DELETED.
async function unplug(qmp: QmpSession, n: HotNicPlug, timeoutMs: number): Promise<void> {
  const id = deviceId(n.linkId);
  const gone = qmp.waitEvent('DEVICE_DELETED', (d) => d.device === id, timeoutMs);
  gone.catch(() => undefined);
  try {
    await qmp.execute('device_del', { id });
    await gone;
  } catch (err) {
    // Already gone (an earlier remove unplugged it but could not drop the link): go on to the metadata.
    if (!(err instanceof QmpCommandError && err.errorClass === 'DeviceNotFound')) {
      throw new UserError(`${n.linkId} was not unplugged: ${(err as Error).message}`, {
        exitCode: EXIT.failure,
        details: [
          'the guest must release the device (ACPI or PCIe hot-unplug); a guest still booting, or without hot-plug support, does not',
          'nothing changed in the documents: the link stays until the device is gone',
        ],
        hint: `try again once the guest is up: vmmeta nic remove <vm> ${n.linkId}`,
      });
    }
  }
  await qmp.execute('netdev_del', { id: netdevId(n.linkId) }).catch(() => undefined);
}

function qemuRefused(err: unknown, command: string, n: HotNicPlug): UserError {
  const detail = err instanceof QmpCommandError ? err.desc : (err as Error).message;
  return new UserError(`QEMU refused ${command} for ${n.linkId}: ${detail}`, {
    exitCode: EXIT.failure,
    details: ['nothing changed: the documents the guest reads are as they were'],
    hint:
      n.port !== null
        ? "the VM must have been started with vmmeta's current QEMU arguments (the spare pcie-root-ports)"
        : 'on q35 set hotplug.machine: q35 in the spec (spare root ports), update, and restart the VM',
  });
}

function result(
  action: NicResult['action'],
  vm: string,
  instanceId: string,
  n: HotNic,
  sidecar: NicResult['sidecar'],
  at: Date,
  ms: NicResult['ms'],
): NicResult {
  const a = deviceAddArgs(plugOf(n));
  return {
    vm,
    action,
    nic: {
      id: n.link.id,
      mac: n.link.mac,
      networks: n.networks,
      backend: n.backend,
      netdev: netdevId(n.link.id),
      device: deviceId(n.link.id),
      bus: (a.bus as string | undefined) ?? null,
    },
    sidecar,
    instanceId,
    at: at.toISOString(),
    ms,
  };
}

export async function nicAdd(o: NicAddInput & { root: string; vm: string; now?: () => Date }): Promise<NicResult> {
  const p = await requireVm(o.root, o.vm);
  return withVmLock(
    p.dir,
    async () => {
      const state = await readState(p);
      const nics = storedNics(state);
      const now = (o.now ?? (() => new Date()))();
      const nic = newHotNic(o, state, nics, now); // every input problem before QEMU is touched
      const plan = await planWithNics(p, state, [...nics, nic]);
      const hv = await driverFor(p, nic.via);
      try {
        const t0 = Date.now();
        await hv.plug(plugOf(nic));
        const t1 = Date.now();
        let swapped;
        try {
          swapped = await swapDocuments(p, state, plan, now);
        } catch (err) {
          await hv.unplug(plugOf(nic), DEVICE_DELETED_TIMEOUT_MS).catch(() => undefined);
          throw err;
        }
        await swapped.done();
        return result('added', p.name, plan.vm.instanceId, nic, swapped.sidecar, now, {
          hypervisor: t1 - t0,
          metadata: Date.now() - t1,
        });
      } finally {
        hv.close();
      }
    },
    p.name,
  );
}

export async function nicRemove(o: {
  root: string;
  vm: string;
  id: string;
  timeoutMs?: number;
  now?: () => Date;
}): Promise<NicResult> {
  const p = await requireVm(o.root, o.vm);
  return withVmLock(
    p.dir,
    async () => {
      const state = await readState(p);
      const nics = storedNics(state);
      const nic = nics.find((n) => n.link.id === o.id);
      if (!nic) {
        const inSpec = decodeLinks(state).includes(o.id);
        throw new UserError(
          inSpec ? `${o.id} comes from ${p.name}'s spec, not from nic add` : `${p.name} has no hot-plugged NIC ${o.id}`,
          {
            exitCode: inSpec ? EXIT.invalid : EXIT.notFound,
            hint: inSpec
              ? 'a spec link is changed by editing the spec and: vmmeta update <vm> <spec.yaml>'
              : `hot-plugged NICs: ${nics.map((n) => n.link.id).join(', ') || 'none'} (vmmeta inspect ${p.name})`,
          },
        );
      }
      const plan = await planWithNics(
        p,
        state,
        nics.filter((n) => n !== nic),
      );
      const hv = await driverFor(p, nic.via);
      try {
        const now = (o.now ?? (() => new Date()))();
        const t0 = Date.now();
        await hv.unplug(plugOf(nic), o.timeoutMs ?? DEVICE_DELETED_TIMEOUT_MS);
        const t1 = Date.now();
        const swapped = await swapDocuments(p, state, plan, now).catch((err: unknown) => {
          throw new UserError(`${o.id} was unplugged, but its link could not be dropped: ${(err as Error).message}`, {
            exitCode: EXIT.failure,
            hint: `run it again: vmmeta nic remove ${p.name} ${o.id}`,
          });
        });
        await swapped.done();
        return result('removed', p.name, plan.vm.instanceId, nic, swapped.sidecar, now, {
          hypervisor: t1 - t0,
          metadata: Date.now() - t1,
        });
      } finally {
        hv.close();
      }
    },
    p.name,
  );
}

function decodeLinks(state: { resolved: Record<string, unknown> }): string[] {
  const links = (state.resolved.network as { links?: Array<{ id: string }> } | undefined)?.links ?? [];
  return links.map((l) => l.id);
}
