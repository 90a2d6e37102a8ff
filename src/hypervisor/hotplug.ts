// A hot-plugged NIC as QMP commands and QEMU ids, as data: `vmmeta nic add` sends netdev_add then device_add,
// `nic remove` sends device_del, waits for DEVICE_DELETED, then netdev_del. Pure.
import { rootPortId } from './qemu-args.js';

export type NicBackend = { type: 'user' } | { type: 'tap'; ifname: string };

export interface HotNicPlug {
  linkId: string;
  mac: string;
  backend: NicBackend;
  port: number | null; // q35: the spare root port (1-based) the NIC sits in; pc: null (root bus)
}

// QEMU ids must start with a letter; link ids may start with a digit. The prefix keeps them apart from the
// operator's own ids and from vmmeta0 (the metadata NIC).
export function netdevId(linkId: string): string {
  return `vmmeta-hpn-${linkId}`;
}
export function deviceId(linkId: string): string {
  return `vmmeta-hpd-${linkId}`;
}

// The backend: a user-mode network with restrict=on reaches nothing (no host, no outside, no DHCP answers that
// matter: the address comes from network_data.json), or the operator's tap (script=no: vmmeta runs no scripts).
export function netdevAddArgs(n: HotNicPlug): Record<string, unknown> {
  if (n.backend.type === 'tap')
    return { type: 'tap', id: netdevId(n.linkId), ifname: n.backend.ifname, script: 'no', downscript: 'no' };
  return { type: 'user', id: netdevId(n.linkId), restrict: true };
}

export function deviceAddArgs(n: HotNicPlug): Record<string, unknown> {
  return {
    driver: 'virtio-net-pci',
    id: deviceId(n.linkId),
    netdev: netdevId(n.linkId),
    mac: n.mac,
    ...(n.port !== null ? { bus: rootPortId(n.port) } : {}),
  };
}

// The first spare root port no hot-plugged NIC holds, or undefined when all are taken.
export function freeRootPort(count: number, taken: ReadonlyArray<number | null>): number | undefined {
  for (let i = 1; i <= count; i++) if (!taken.includes(i)) return i;
  return undefined;
}

// The hypervisor half of nic add/remove: QMP for plain QEMU (cli/commands/nic.ts), virsh for a libvirt domain
// (vm/virsh-driver.ts).
export interface HotplugDriver {
  plug(n: HotNicPlug): Promise<void>; // attached, or an error with nothing left behind
  unplug(n: HotNicPlug, timeoutMs: number): Promise<void>; // resolves once the hypervisor confirms the removal
  close(): void;
}
