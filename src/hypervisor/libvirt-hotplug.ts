// A hot-plugged NIC on a libvirt domain, as data: the <interface> element and the virsh argv that attach it
// live, watch for its removal and detach it, in the same order as over QMP (attach, then documents; detach, wait
// for libvirt's device-removed event, which it emits on QEMU's DEVICE_DELETED, then documents). Pure.
import { escapeXml } from './xml-spans.js';
import { deviceId, type HotNicPlug } from './hotplug.js';

// libvirt keeps user aliases only with the "ua-" prefix; the alias is how detach-device-alias finds the NIC.
export function libvirtAlias(linkId: string): string {
  return `ua-${deviceId(linkId)}`;
}

// user: libvirt's slirp interface (libvirt cannot say restrict=on, so the guest may reach out through it: the
// tap is the production path). tap: an existing host tap, which libvirt must not create or delete.
export function interfaceXml(n: HotNicPlug): string {
  const head =
    n.backend.type === 'tap'
      ? `<interface type='ethernet'>\n  <target dev='${escapeXml(n.backend.ifname)}' managed='no'/>\n`
      : `<interface type='user'>\n`;
  return `${head}  <mac address='${escapeXml(n.mac)}'/>\n  <model type='virtio'/>\n  <alias name='${escapeXml(libvirtAlias(n.linkId))}'/>\n</interface>\n`;
}

export interface LibvirtTarget {
  domain: string;
  uri?: string; // virsh -c; absent: virsh's default connection
}

const base = (t: LibvirtTarget): string[] => (t.uri ? ['-c', t.uri] : []);

export function attachArgs(t: LibvirtTarget, xmlFile: string): string[] {
  return [...base(t), 'attach-device', t.domain, xmlFile, '--live'];
}

export function detachArgs(t: LibvirtTarget, linkId: string): string[] {
  return [...base(t), 'detach-device-alias', t.domain, libvirtAlias(linkId), '--live'];
}

// Started before the detach so the event cannot be missed; --loop because another device may go first.
export function removedEventArgs(t: LibvirtTarget, timeoutS: number): string[] {
  return [
    ...base(t),
    'event',
    '--domain',
    t.domain,
    '--event',
    'device-removed',
    '--loop',
    '--timeout',
    String(Math.max(1, Math.ceil(timeoutS))),
  ];
}

// virsh event prints "event 'device-removed' for domain 'web1': ua-vmmeta-hpd-data0".
export function removedLine(line: string, linkId: string): boolean {
  return /^event 'device-removed' for domain '.*': (\S+)$/.exec(line.trim())?.[1] === libvirtAlias(linkId);
}
