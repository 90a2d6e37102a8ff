// QEMU arguments as data: an argv array the operator appends to their own command line. Never a shell string
// (that is only rendered for people by shellQuote). Inside an option value a literal comma is ",,".
import { smbiosArgs, qemuOptionValue } from './smbios.js';
import type { Smbios } from './smbios.js';
import { shellQuote } from './shell-quote.js';

export { shellQuote } from './shell-quote.js';

export type CdromBus = 'ide' | 'sata' | 'scsi' | 'virtio';

export interface QemuPlan {
  uuid: string;
  smbios: Smbios;
  cdrom?: { path: string; bus: CdromBus };
  metadataNic?: { id: string; mac: string; connector: string };
  tapNic?: { id: string; mac: string; device: string };
  machine?: string;
  qmpSocket?: string; // vmmeta nic add/remove drive the running VM through it
  rootPorts?: number; // q35: empty pcie-root-ports a NIC can be hot-plugged into
}

// The CD must exist when ds-identify runs: it is a systemd generator, started by PID 1 before udev in the real
// root, and it asks blkid about block devices the kernel already has. Devices on the board's own controller are
// enumerated at PCI scan and their drivers (ata_piix/ahci + sr_mod) are loaded by the initramfs's coldplug, the
// same way Nova attaches its config drive (cdrom bus ide on pc, sata on q35). Default: `ide`.
export const DEFAULT_CDROM_BUS: CdromBus = 'ide';

export const CDROM_BUSES: Record<CdromBus, string> = {
  ide: "ide-cd on the board's controller (PIIX IDE on pc, ICH9 AHCI on q35): no extra device, present before systemd generators run (default)",
  sata: 'ide-cd on an added ich9-ahci controller: for machines whose own IDE buses are full',
  scsi: "scsi-cd on an added virtio-scsi-pci controller: needs virtio_scsi and sr_mod in the guest's initramfs",
  virtio: 'read-only virtio-blk disk holding the ISO: needs virtio_blk; blkid still sees LABEL=cidata TYPE=iso9660',
};

const CD_ID = 'vmmeta-cidata';

function cdromArgs(cd: { path: string; bus: CdromBus }): string[] {
  const drive = `file=${qemuOptionValue(cd.path)},format=raw,if=none,id=${CD_ID},media=cdrom,readonly=on`;
  switch (cd.bus) {
    case 'ide':
      return ['-drive', drive, '-device', `ide-cd,drive=${CD_ID}`];
    case 'sata':
      return [
        '-drive',
        drive,
        '-device',
        'ich9-ahci,id=vmmeta-ahci',
        '-device',
        `ide-cd,drive=${CD_ID},bus=vmmeta-ahci.0`,
      ];
    case 'scsi':
      return [
        '-drive',
        drive,
        '-device',
        'virtio-scsi-pci,id=vmmeta-scsi',
        '-device',
        `scsi-cd,drive=${CD_ID},bus=vmmeta-scsi.0`,
      ];
    case 'virtio': {
      const disk = `file=${qemuOptionValue(cd.path)},format=raw,if=none,id=${CD_ID},readonly=on`;
      return ['-drive', disk, '-device', `virtio-blk-pci,drive=${CD_ID}`];
    }
  }
}

// The slirp network must contain the forward address (libslirp check_guestfwd), and must not be the default
// 10.0.2.0/24; restrict=on keeps the guest from reaching the host or the outside, while explicit guestfwd rules
// still work. With net=169.254.169.0/24 the guest gets 169.254.169.15 by DHCP and .254 is on-link.
export const METADATA_NET = '169.254.169.0/24';
export const METADATA_ADDRESS = '169.254.169.254';

export function metadataNicArgs(nic: { id: string; mac: string; connector: string }): string[] {
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,31}$/.test(nic.id)) throw new Error(`bad netdev id ${nic.id}`);
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(nic.mac)) throw new Error(`bad MAC ${nic.mac}`);
  const netdev = `user,id=${nic.id},net=${METADATA_NET},restrict=on,guestfwd=tcp:${METADATA_ADDRESS}:80-cmd:${qemuOptionValue(nic.connector)}`;
  return ['-netdev', netdev, '-device', `virtio-net-pci,netdev=${nic.id},mac=${nic.mac}`];
}

// QMP on a Unix socket in the VM's 0700 state folder (never TCP: QMP has no authentication). server=on,wait=off:
// QEMU listens and boots without waiting for a client, and accepts a new client after one disconnects.
export function qmpArgs(socket: string): string[] {
  return ['-qmp', `unix:${qemuOptionValue(socket)},server=on,wait=off`];
}

// q35's root bus (pcie.0) takes no hot-plugged device (QEMU docs/pcie.txt): each hot-plugged NIC needs an empty
// pcie-root-port present from boot. Four is what a VM rarely outgrows and costs four PCI slots of 32. The chassis
// numbers start high so they do not collide with root ports of the operator's own command line.
export const DEFAULT_ROOT_PORTS = 4;
export const MAX_ROOT_PORTS = 16;
export const ROOT_PORT_CHASSIS = 200;
export function rootPortId(n: number): string {
  return `vmmeta-rp${n}`;
}
export function rootPortArgs(count: number): string[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_ROOT_PORTS) throw new Error(`bad root port count ${count}`);
  return Array.from({ length: count }, (_, i) => [
    '-device',
    `pcie-root-port,id=${rootPortId(i + 1)},chassis=${ROOT_PORT_CHASSIS + i + 1}`,
  ]).flat();
}

// Tap mode (sidecar.path: tap): the guest's ordinary NIC on the VM's tap, carrying its first MAC, and no
// user-mode NIC. script=no: the operator (or libvirt) made the tap and put it on its bridge; QEMU only opens it.
export function tapNicArgs(nic: { id: string; mac: string; device: string }): string[] {
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,31}$/.test(nic.id)) throw new Error(`bad netdev id ${nic.id}`);
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(nic.mac)) throw new Error(`bad MAC ${nic.mac}`);
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(nic.device)) throw new Error(`bad tap name ${nic.device}`);
  return [
    '-netdev',
    `tap,id=${nic.id},ifname=${nic.device},script=no,downscript=no`,
    '-device',
    `virtio-net-pci,netdev=${nic.id},mac=${nic.mac}`,
  ];
}

export function qemuArgs(plan: QemuPlan): string[] {
  const argv: string[] = [];
  if (plan.machine) argv.push('-machine', qemuOptionValue(plan.machine));
  // -uuid is the machine UUID (also SMBIOS type 1 uuid); cloud-init's OpenStack check_instance_id compares it
  // with the cached instance id, so reboots skip the metadata service.
  argv.push('-uuid', plan.uuid);
  argv.push(...smbiosArgs(plan.smbios));
  if (plan.cdrom) argv.push(...cdromArgs(plan.cdrom));
  if (plan.metadataNic) argv.push(...metadataNicArgs(plan.metadataNic));
  if (plan.tapNic) argv.push(...tapNicArgs(plan.tapNic));
  if (plan.rootPorts) argv.push(...rootPortArgs(plan.rootPorts));
  if (plan.qmpSocket) argv.push(...qmpArgs(plan.qmpSocket));
  return argv;
}

// qemu-args.txt: one argument per line, for `xargs -d '\n' -a qemu-args.txt qemu-system-x86_64 …` or a
// launcher's config. An argument holding a newline could not be represented: SMBIOS values and paths never do.
export function argsFileText(argv: readonly string[]): string {
  for (const a of argv) if (a.includes('\n')) throw new Error(`argument contains a newline: ${JSON.stringify(a)}`);
  return argv.map((a) => `${a}\n`).join('');
}

export function argsJson(argv: readonly string[]): string {
  return `${JSON.stringify(argv, null, 2)}\n`;
}

export function argsShell(argv: readonly string[]): string {
  return `${shellQuote(argv)}\n`;
}

// A stable, locally administered unicast MAC (52:54:00 is QEMU's prefix) derived from the VM uuid, for VMs whose
// spec has no links: the metadata NIC still needs one, and it must not change between runs.
export function uuidMac(uuid: string): string {
  const hex = uuid.replaceAll('-', '').toLowerCase();
  return `52:54:00:${hex.slice(-6, -4)}:${hex.slice(-4, -2)}:${hex.slice(-2)}`;
}
