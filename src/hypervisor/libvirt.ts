// libvirt output: the <sysinfo type='smbios'> block (applied only together with <os><smbios mode='sysinfo'/>),
// the cidata CD-ROM <disk>, and — because libvirt's <interface> cannot express guestfwd — the metadata NIC as
// raw QEMU arguments in <qemu:commandline> (libvirt "QEMU command-line passthrough"). A whole starter domain
// comes from templates/libvirt-domain.xml; patchDomainXml (libvirt-patch.ts) edits an existing one in place.
import { readFileSync } from 'node:fs';
import type { ResolvedVm } from '../spec/schema.js';
import type { Smbios } from './smbios.js';
import { metadataNicArgs } from './qemu-args.js';
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
  if (chassis.length) out += `${i1}<chassis>\n${chassis.map((k) => entry(k, smbios.type3[k] as string)).join('')}${i1}</chassis>\n`;
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

export function cdromDiskElement(cd: { path: string; bus: CdromBus }, opts: { machine: string; indent: string; takenDevs?: Iterable<string> }): string {
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

export function qemuArgElements(nic: MetadataNic, indent: string): string[] {
  return metadataNicArgs(nic).map((a) => `${indent}<qemu:arg value='${escapeXml(a)}'/>`);
}

// {{name}} is replaced by the XML-escaped value; {{{name}}} by a fragment this module built (already XML).
// A placeholder without a value, or a value without a placeholder, is a template bug and throws.
export function renderTemplate(template: string, text: Record<string, string>, fragments: Record<string, string>): string {
  const used = new Set<string>();
  const out = template.replace(/\{\{\{(\w+)\}\}\}|\{\{(\w+)\}\}/g, (_, raw: string | undefined, esc: string | undefined) => {
    const key = (raw ?? esc) as string;
    const table = raw ? fragments : text;
    if (!Object.hasOwn(table, key)) throw new Error(`libvirt template: no value for ${raw ? `{{{${key}}}}` : `{{${key}}}`}`);
    used.add(key);
    return raw ? (table[key] as string) : escapeXml(table[key] as string);
  });
  const unused = [...Object.keys(text), ...Object.keys(fragments)].filter((k) => !used.has(k));
  if (unused.length) throw new Error(`libvirt template: no placeholder for ${unused.join(', ')}`);
  return out;
}

export interface DomainOptions {
  smbios: Smbios;
  cdrom: { path: string; bus: CdromBus } | null;
  metadataNic?: MetadataNic | null; // the guestfwd NIC (needs the sidecar socket's connector); absent: no <qemu:commandline>
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
  const nic = opts.metadataNic ?? null;
  // The metadata NIC already carries the first physical MAC (qemu-args); the other links become libvirt NICs.
  const others = nic ? physical.filter((l) => l.mac !== nic.mac) : physical;
  const ifaces = others
    .map((l) => `    <interface type='network'>\n      <source network='${escapeXml(opts.network ?? 'default')}'/>\n      <mac address='${l.mac}'/>\n      <model type='virtio'/>\n    </interface>\n`)
    .join('');
  const cdrom = opts.cdrom ? `    ${cdromDiskElement(opts.cdrom, { machine: 'q35', indent: '    ', takenDevs: ['vda'] })}\n` : '';
  const commandline = nic ? `  <qemu:commandline>\n${qemuArgElements(nic, '    ').join('\n')}\n  </qemu:commandline>\n` : '';
  return renderTemplate(
    template,
    {
      name: vm.name,
      uuid: vm.uuid,
      domainType: opts.domainType ?? 'kvm',
      memoryMiB: String(opts.memoryMiB ?? 1024),
      vcpus: String(opts.vcpus ?? 1),
      diskPath: opts.diskPath ?? `/var/lib/libvirt/images/${vm.name}.qcow2`,
    },
    { sysinfo: sysinfoElement(opts.smbios, '  '), cdrom, interfaces: ifaces, qemuCommandline: commandline },
  );
}

