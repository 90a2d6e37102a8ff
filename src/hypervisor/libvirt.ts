// libvirt output: the <sysinfo type='smbios'> block (applied only together with <os><smbios mode='sysinfo'/>),
// the cidata CD-ROM <disk>, and — because libvirt's <interface> cannot express guestfwd — the metadata NIC as
// raw QEMU arguments in <qemu:commandline> (libvirt "QEMU command-line passthrough"). A whole starter domain
// comes from templates/libvirt-domain.xml; patchDomainXml (libvirt-patch.ts) edits an existing one in place.
import { readFileSync } from 'node:fs';
import type { ResolvedVm } from '../spec/schema.js';
import type { Smbios } from './smbios.js';
import { DEFAULT_ROOT_PORTS, metadataNicArgs } from './qemu-args.js';
import type { CdromBus } from './qemu-args.js';
import { escapeXml } from './xml-spans.js';

export const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';
// A user alias ("ua-" prefix, libvirt >= 3.9) marks the CD as vmmeta's; libvirt keeps it across define/dumpxml,
// unlike XML comments, so re-patching finds and replaces it.
export const CDROM_ALIAS = 'ua-vmmeta-cidata';

export interface MetadataNic {
  id: string;
  mac: string;
  connector: string;
}

const SYSTEM_FIELDS = ['manufacturer', 'product', 'version', 'serial', 'uuid', 'family'] as const;

export function sysinfoElement(smbios: Smbios, indent: string): string {
  const i1 = `${indent}  `;
  const i2 = `${indent}    `;
  const entry = (k: string, v: string) => `${i2}<entry name='${k}'>${escapeXml(v)}</entry>\n`;
  let out = `<sysinfo type='smbios'>\n${i1}<system>\n`;
  for (const k of SYSTEM_FIELDS) {
    const v = smbios.type1[k];
    if (v !== undefined) out += entry(k, v);
  }
  out += `${i1}</system>\n`;
  const chassis = (['manufacturer', 'asset'] as const).filter((k) => smbios.type3[k] !== undefined);
  if (chassis.length)
    out += `${i1}<chassis>\n${chassis.map((k) => entry(k, smbios.type3[k] as string)).join('')}${i1}</chassis>\n`;
  return `${out}${indent}</sysinfo>`;
}

// sysinfo.xml: the block to paste into a domain by hand (next to <os><smbios mode='sysinfo'/></os>).
export function sysinfoXml(smbios: Smbios): string {
  return `${sysinfoElement(smbios, '')}\n`;
}

// libvirt has no IDE on q35 (the board's controller is AHCI, i.e. bus 'sata'); elsewhere 'ide' stays IDE.
export function libvirtCdromBus(bus: CdromBus, machine: string): 'ide' | 'sata' | 'scsi' | 'virtio' {
  if (bus === 'ide') return /q35/.test(machine) ? 'sata' : 'ide';
  return bus;
}

const DEV_PREFIX = { ide: 'hd', sata: 'sd', scsi: 'sd', virtio: 'vd' } as const;

// libvirt derives controller and unit from the target letter: IDE holds hda-hdd on its one controller (a 'pc' board
// has no second), an AHCI controller has 6 ports (sda-sdf), a SCSI controller 7 units (sda-sdg). Staying inside
// the first controller means libvirt never has to invent one the machine may not accept.
const LAST_LETTER = { ide: 'd', sata: 'f', scsi: 'g', virtio: 'z' } as const;

// The last free letter on the first controller, so the CD never takes a name the guest's own disks use.
export function freeTargetDev(bus: keyof typeof DEV_PREFIX, taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let c = LAST_LETTER[bus].charCodeAt(0); c >= 'a'.charCodeAt(0); c--) {
    const dev = `${DEV_PREFIX[bus]}${String.fromCharCode(c)}`;
    if (!used.has(dev)) return dev;
  }
  throw new Error(`no free ${bus} target name on the first ${bus} controller (taken: ${[...used].sort().join(', ')})`);
}

export function cdromDiskElement(
  cd: { path: string; bus: CdromBus },
  opts: { machine: string; indent: string; takenDevs?: Iterable<string> },
): string {
  const bus = libvirtCdromBus(cd.bus, opts.machine);
  const dev = freeTargetDev(bus, opts.takenDevs ?? []);
  const i1 = `${opts.indent}  `;
  const device = bus === 'virtio' ? 'disk' : 'cdrom'; // virtio-blk has no CD-ROM: a read-only disk holding the ISO
  return (
    `<disk type='file' device='${device}'>\n` +
    `${i1}<driver name='qemu' type='raw'/>\n` +
    `${i1}<source file='${escapeXml(cd.path)}'/>\n` +
    `${i1}<target dev='${dev}' bus='${bus}'/>\n` +
    `${i1}<readonly/>\n` +
    `${i1}<alias name='${CDROM_ALIAS}'/>\n` +
    `${opts.indent}</disk>`
  );
}

// A -device in <qemu:commandline> is invisible to libvirt's address allocator, so without an address QEMU puts it
// in the first free slot, which libvirt has already planned for its own devices (on q35, a pcie-root-port at
// 00:01.0: "slot 1 function 0 not available"). libvirt fills slots upwards from 1 and keeps 0x1b (ich9 sound),
// 0x1d (ich9 USB), 0x1e (dmi-to-pci-bridge) and 0x1f (the ICH9 LPC/SATA/SMBus) on q35; on pc (i440fx) 0x1f is
// never given out before the bus is full.
export function metadataNicAddress(machine: string): string {
  return /q35/.test(machine) ? 'bus=pcie.0,addr=0x1c' : 'bus=pci.0,addr=0x1f';
}

export function qemuArgElements(nic: MetadataNic, indent: string, machine: string): string[] {
  const args = metadataNicArgs(nic);
  const dev = args.indexOf('-device') + 1;
  args[dev] = `${args[dev]},${metadataNicAddress(machine)}`;
  return args.map((a) => `${indent}<qemu:arg value='${escapeXml(a)}'/>`);
}

// Tap mode: the metadata NIC is an ordinary libvirt <interface> on the VM's tap: bridged when the spec names a
// bridge, else a routed tap (type='ethernet'). libvirt creates the tap, so no argument passes around libvirt.
export interface TapNic {
  device: string;
  bridge?: string | undefined;
  mac: string;
}

export const TAP_ALIAS = 'ua-vmmeta-net';

export function tapInterfaceElement(tap: TapNic, indent: string): string {
  const i1 = `${indent}  `;
  const source = tap.bridge ? `${i1}<source bridge='${escapeXml(tap.bridge)}'/>\n` : '';
  return (
    `<interface type='${tap.bridge ? 'bridge' : 'ethernet'}'>\n${source}` +
    `${i1}<target dev='${escapeXml(tap.device)}'/>\n` +
    `${i1}<mac address='${tap.mac}'/>\n` +
    `${i1}<model type='virtio'/>\n` +
    `${i1}<alias name='${TAP_ALIAS}'/>\n` +
    `${indent}</interface>`
  );
}

// {{name}} is replaced by the XML-escaped value; {{{name}}} by a fragment this module built (already XML).
// A placeholder without a value, or a value without a placeholder, is a template bug and throws.
export function renderTemplate(
  template: string,
  text: Record<string, string>,
  fragments: Record<string, string>,
): string {
  const used = new Set<string>();
  const out = template.replace(
    /\{\{\{(\w+)\}\}\}|\{\{(\w+)\}\}/g,
    (_, raw: string | undefined, esc: string | undefined) => {
      const key = (raw ?? esc) as string;
      const table = raw ? fragments : text;
      if (!Object.hasOwn(table, key))
        throw new Error(`libvirt template: no value for ${raw ? `{{{${key}}}}` : `{{${key}}}`}`);
      used.add(key);
      return raw ? (table[key] as string) : escapeXml(table[key] as string);
    },
  );
  const unused = [...Object.keys(text), ...Object.keys(fragments)].filter((k) => !used.has(k));
  if (unused.length) throw new Error(`libvirt template: no placeholder for ${unused.join(', ')}`);
  return out;
}

// The connector path under libvirt: QEMU spawns the connector per guest connection, which libvirt's default
// sandbox (qemu.conf seccomp_sandbox = 1: -sandbox spawn=deny) forbids; such a domain crashes at the first request.
const SPAWN_NOTE =
  '  <!-- The metadata NIC below makes QEMU spawn socat for every guest connection: it works only when\n' +
  "       /etc/libvirt/qemu.conf says seccomp_sandbox = 0. With libvirt's defaults use sidecar.path: tap (docs/libvirt.md). -->\n";

export interface DomainOptions {
  smbios: Smbios;
  cdrom: { path: string; bus: CdromBus } | null;
  metadataNic?: MetadataNic | null; // the guestfwd NIC (needs the sidecar socket's connector); absent: no <qemu:commandline>
  tap?: TapNic | null; // tap mode: the metadata NIC as an <interface> (metadataNic is then ignored)
  machine?: 'q35' | 'pc'; // default: the spec's hotplug.machine, else q35
  diskPath?: string;
  memoryMiB?: number;
  vcpus?: number;
  domainType?: 'kvm' | 'qemu';
  network?: string; // libvirt network for the spec's other physical links
  template?: string; // the template text (default: templates/libvirt-domain.xml)
}

const TEMPLATE_URL = new URL('../../../templates/libvirt-domain.xml', import.meta.url);

export function domainXml(vm: ResolvedVm, opts: DomainOptions): string {
  const template = opts.template ?? readFileSync(TEMPLATE_URL, 'utf8');
  const physical = vm.network.links.filter((l) => l.type === 'physical');
  const tap = opts.tap ?? null;
  const nic = tap ? null : (opts.metadataNic ?? null);
  const machine = opts.machine ?? vm.hotplug?.machine ?? 'q35';
  // The metadata NIC already carries the first physical MAC (qemu-args); the other links become libvirt NICs.
  const first = tap?.mac ?? nic?.mac;
  const others = first ? physical.filter((l) => l.mac !== first) : physical;
  const ifaces =
    (tap ? `    ${tapInterfaceElement(tap, '    ')}\n` : '') +
    others
      .map(
        (l) =>
          `    <interface type='network'>\n      <source network='${escapeXml(opts.network ?? 'default')}'/>\n      <mac address='${l.mac}'/>\n      <model type='virtio'/>\n    </interface>\n`,
      )
      .join('');
  const cdrom = opts.cdrom
    ? `    ${cdromDiskElement(opts.cdrom, { machine, indent: '    ', takenDevs: ['vda'] })}\n`
    : '';
  // libvirt gives q35 only the root ports its devices need, and q35's root bus does not hot-plug, so without spare
  // ports `vmmeta nic add --libvirt` has nowhere to go (virt-install adds spares for the same reason).
  const spare = machine === 'q35' ? (vm.hotplug?.rootPorts ?? DEFAULT_ROOT_PORTS) : 0;
  // The PCI root comes first: libvirt numbers controllers in order, and index 0 must be q35's pcie-root.
  const controllers = spare
    ? `    <controller type='pci' index='0' model='pcie-root'/>\n` +
      `    <controller type='pci' model='pcie-root-port'/>\n`.repeat(spare)
    : '';
  const commandline = nic
    ? `${SPAWN_NOTE}  <qemu:commandline>\n${qemuArgElements(nic, '    ', machine).join('\n')}\n  </qemu:commandline>\n`
    : '';
  return renderTemplate(
    template,
    {
      name: vm.name,
      uuid: vm.uuid,
      domainType: opts.domainType ?? 'kvm',
      machine,
      memoryMiB: String(opts.memoryMiB ?? 1024),
      vcpus: String(opts.vcpus ?? 1),
      diskPath: opts.diskPath ?? `/var/lib/libvirt/images/${vm.name}.qcow2`,
    },
    {
      sysinfo: sysinfoElement(opts.smbios, '  '),
      cdrom,
      interfaces: ifaces,
      controllers,
      qemuCommandline: commandline,
    },
  );
}
