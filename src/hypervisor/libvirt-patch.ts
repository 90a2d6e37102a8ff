// `vmmeta libvirt patch`: put vmmeta's SMBIOS, uuid, cidata CD and (optionally) metadata NIC into an existing
// domain XML as a handful of splices. Everything outside the edited elements stays byte for byte, and patching
// twice gives the same text as patching once (the CD carries a user alias, the NIC args a vmmeta netdev id).
import type { Smbios } from './smbios.js';
import type { CdromBus } from './qemu-args.js';
import { UserError, EXIT } from '../errors.js';
import {
  CDROM_ALIAS,
  QEMU_NS,
  TAP_ALIAS,
  cdromDiskElement,
  qemuArgElements,
  sysinfoElement,
  tapInterfaceElement,
} from './libvirt.js';
import type { MetadataNic, TapNic } from './libvirt.js';
import {
  parseXml,
  child,
  textOf,
  lineIndent,
  childIndent,
  lineSpan,
  applySplices,
  XmlSyntaxError,
} from './xml-spans.js';
import type { XmlElement, Splice } from './xml-spans.js';

export interface PatchOptions {
  smbios: Smbios;
  uuid: string;
  cdrom: { path: string; bus: CdromBus } | null; // null removes vmmeta's CD
  metadataNic?: MetadataNic | null; // undefined leaves <qemu:commandline> alone, null removes vmmeta's args
  tap?: TapNic | null; // tap mode: vmmeta's <interface> on the tap (and none of vmmeta's args); null removes it
}

function invalid(message: string, hint?: string): UserError {
  return new UserError(message, { exitCode: EXIT.invalid, ...(hint ? { hint } : {}) });
}

export function patchDomainXml(xml: string, opts: PatchOptions): string {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw invalid(`domain XML is not well-formed: ${err.message}`);
    throw err;
  }
  if (root.name !== 'domain')
    throw invalid(`expected a libvirt <domain>, found <${root.name}>`, 'virsh dumpxml <domain> > domain.xml');
  const splices: Splice[] = [];
  patchUuid(xml, root, opts.uuid, splices);
  patchSysinfo(xml, root, opts.smbios, splices);
  patchOsSmbios(xml, root, splices);
  patchCdrom(xml, root, opts.cdrom, splices);
  const machine = child(child(root, 'os') as XmlElement, 'type')?.attrs.get('machine') ?? '';
  if (opts.tap !== undefined) patchTapInterface(xml, root, opts.tap, splices);
  const nic = opts.tap ? null : opts.metadataNic;
  if (nic !== undefined) patchCommandline(xml, root, nic, machine, splices);
  return applySplices(xml, splices);
}

// Inserts `text` (one line, no indent) as the last child of `parent`, on its own line when the closing tag is.
function appendChild(xml: string, parent: XmlElement, text: string, splices: Splice[]): void {
  const closeIndent = lineIndent(xml, parent.closeStart);
  const ownLine = xml[parent.closeStart - closeIndent.length - 1] === '\n';
  if (ownLine)
    splices.push({
      from: parent.closeStart - closeIndent.length,
      to: parent.closeStart - closeIndent.length,
      text: `${childIndent(xml, parent)}${text}\n`,
    });
  else splices.push({ from: parent.closeStart, to: parent.closeStart, text });
}

function patchUuid(xml: string, root: XmlElement, uuid: string, splices: Splice[]): void {
  const el = child(root, 'uuid');
  if (el) {
    const current = textOf(xml, el).trim().toLowerCase();
    if (current !== uuid.toLowerCase()) {
      throw new UserError(`the domain's uuid ${current} differs from the VM's ${uuid}`, {
        exitCode: EXIT.conflict,
        hint: `set "uuid: ${current}" in the VM spec and re-create it, so SMBIOS, metadata and libvirt agree`,
      });
    }
    return;
  }
  const name = child(root, 'name');
  if (!name) throw invalid('the domain has no <name>');
  splices.push({ from: name.end, to: name.end, text: `\n${lineIndent(xml, name.start)}<uuid>${uuid}</uuid>` });
}

function patchSysinfo(xml: string, root: XmlElement, smbios: Smbios, splices: Splice[]): void {
  const existing = child(root, 'sysinfo', (e) => e.attrs.get('type') === 'smbios');
  if (existing) {
    splices.push({
      from: existing.start,
      to: existing.end,
      text: sysinfoElement(smbios, lineIndent(xml, existing.start)),
    });
    return;
  }
  const os = child(root, 'os');
  if (!os) throw invalid('the domain has no <os> element');
  const indent = lineIndent(xml, os.start);
  splices.push({ from: os.start, to: os.start, text: `${sysinfoElement(smbios, indent)}\n${indent}` });
}

// <sysinfo> is ignored unless <os> says <smbios mode='sysinfo'/>.
function patchOsSmbios(xml: string, root: XmlElement, splices: Splice[]): void {
  const os = child(root, 'os');
  if (!os || os.selfClosing) throw invalid('the domain has no <os> element with children');
  const smbios = child(os, 'smbios');
  if (smbios?.attrs.get('mode') === 'sysinfo') return;
  if (smbios) splices.push({ from: smbios.start, to: smbios.end, text: `<smbios mode='sysinfo'/>` });
  else appendChild(xml, os, `<smbios mode='sysinfo'/>`, splices);
}

const isOurs = (disk: XmlElement) =>
  disk.children.some((c) => c.name === 'alias' && c.attrs.get('name') === CDROM_ALIAS);

function patchCdrom(xml: string, root: XmlElement, cdrom: PatchOptions['cdrom'], splices: Splice[]): void {
  const devices = child(root, 'devices');
  if (!devices || devices.selfClosing) {
    if (!cdrom) return;
    throw invalid('the domain has no <devices> element to attach the cidata CD-ROM to');
  }
  const disks = devices.children.filter((c) => c.name === 'disk');
  // Our CD from an earlier patch is replaced where it stands, so patching again moves nothing.
  const [keep, ...rest] = disks.filter(isOurs);
  for (const d of cdrom ? rest : disks.filter(isOurs)) {
    const [from, to] = lineSpan(xml, d);
    splices.push({ from, to, text: '' });
  }
  if (!cdrom) return;
  const others = disks.filter((d) => !isOurs(d));
  const taken = others.flatMap((d) =>
    d.children.filter((c) => c.name === 'target').map((t) => t.attrs.get('dev') ?? ''),
  );
  const machine = child(child(root, 'os') as XmlElement, 'type')?.attrs.get('machine') ?? '';
  if (keep) {
    const indent = lineIndent(xml, keep.start);
    splices.push({
      from: keep.start,
      to: keep.end,
      text: cdromDiskElement(cdrom, { machine, indent, takenDevs: taken }),
    });
    return;
  }
  const last = others[others.length - 1];
  if (last) {
    const indent = lineIndent(xml, last.start);
    splices.push({
      from: last.end,
      to: last.end,
      text: `\n${indent}${cdromDiskElement(cdrom, { machine, indent, takenDevs: taken })}`,
    });
  } else {
    const indent = childIndent(xml, devices);
    appendChild(xml, devices, cdromDiskElement(cdrom, { machine, indent, takenDevs: taken }), splices);
  }
}

// vmmeta's passthrough args are recognised by their netdev id (id=vmmeta… / netdev=vmmeta…), with the
// -netdev/-device flag in front of each.
const OUR_VALUE = /(^|,)(id|netdev)=vmmeta[\w.-]*(,|$)/;

function patchCommandline(
  xml: string,
  root: XmlElement,
  nic: MetadataNic | null,
  machine: string,
  splices: Splice[],
): void {
  const cmdlines = root.children.filter((c) => c.name === 'qemu:commandline');
  if (nic) {
    const devices = child(root, 'devices');
    const clash = devices?.children.find(
      (c) => c.name === 'interface' && child(c, 'mac')?.attrs.get('address')?.toLowerCase() === nic.mac,
    );
    if (clash) {
      throw invalid(
        `the domain already has an <interface> with MAC ${nic.mac}, the metadata NIC's MAC`,
        "remove that <interface> (the metadata NIC replaces it) or give the spec's first link another MAC",
      );
    }
    const bound = root.attrs.get('xmlns:qemu');
    if (bound !== undefined && bound !== QEMU_NS)
      throw invalid(`the domain binds the qemu: prefix to ${bound}, not ${QEMU_NS}`);
    if (bound === undefined)
      splices.push({ from: root.openEnd - 1, to: root.openEnd - 1, text: ` xmlns:qemu='${QEMU_NS}'` });
  }
  let target: XmlElement | null = null;
  for (const cl of cmdlines) {
    if (cl.selfClosing) {
      // <qemu:commandline/>: becomes vmmeta's element (or stays as it is when there is nothing to add).
      if (nic && !target) {
        const indent = lineIndent(xml, cl.start);
        splices.push({
          from: cl.start,
          to: cl.end,
          text: `<qemu:commandline>\n${qemuArgElements(nic, `${indent}  `, machine).join('\n')}\n${indent}</qemu:commandline>`,
        });
        return;
      }
      continue;
    }
    const kids = cl.children;
    const ours = new Set<XmlElement>();
    kids.forEach((k, n) => {
      if (k.name === 'qemu:arg' && OUR_VALUE.test(k.attrs.get('value') ?? '')) {
        ours.add(k);
        const prev = kids[n - 1];
        if (prev && prev.name === 'qemu:arg' && /^-(netdev|device)$/.test(prev.attrs.get('value') ?? ''))
          ours.add(prev);
      }
    });
    const keeps = kids.length > ours.size;
    if (!keeps && ours.size && !(nic && !target)) {
      const [from, to] = lineSpan(xml, cl);
      splices.push({ from, to, text: '' });
      continue;
    }
    for (const k of ours) {
      const [from, to] = lineSpan(xml, k);
      splices.push({ from, to, text: '' });
    }
    if (!target && (keeps || ours.size)) target = cl;
  }
  if (!nic) return;
  if (target && !target.selfClosing) {
    // appendChild copies the indent of the element's first child, which is ours when nothing else is kept.
    for (const l of qemuArgElements(nic, '', machine)) appendChild(xml, target, l, splices);
    return;
  }
  const indent = childIndent(xml, root);
  const text = `<qemu:commandline>\n${qemuArgElements(nic, `${indent}  `, machine).join('\n')}\n${indent}</qemu:commandline>`;
  appendChild(xml, root, text, splices);
}

const isOurNic = (el: XmlElement) =>
  el.name === 'interface' && el.children.some((c) => c.name === 'alias' && c.attrs.get('name') === TAP_ALIAS);

// vmmeta's tap <interface> (found again by its user alias) replaces itself; another <interface> already holding
// the VM's MAC is the operator's and is refused rather than duplicated.
function patchTapInterface(xml: string, root: XmlElement, tap: TapNic | null, splices: Splice[]): void {
  const devices = child(root, 'devices');
  if (!devices || devices.selfClosing) {
    if (!tap) return;
    throw invalid('the domain has no <devices> element to attach the tap <interface> to');
  }
  const ours = devices.children.filter(isOurNic);
  if (tap) {
    const clash = devices.children.find(
      (c) => c.name === 'interface' && !isOurNic(c) && child(c, 'mac')?.attrs.get('address')?.toLowerCase() === tap.mac,
    );
    if (clash)
      throw invalid(
        `the domain already has an <interface> with MAC ${tap.mac}, the metadata NIC's MAC`,
        "remove that <interface> (vmmeta's tap interface replaces it) or give the spec's first link another MAC",
      );
  }
  const [keep, ...rest] = ours;
  for (const el of rest) {
    const [from, to] = lineSpan(xml, el);
    splices.push({ from, to, text: '' });
  }
  if (keep) {
    if (tap)
      splices.push({ from: keep.start, to: keep.end, text: tapInterfaceElement(tap, lineIndent(xml, keep.start)) });
    else {
      const [from, to] = lineSpan(xml, keep);
      splices.push({ from, to, text: '' });
    }
    return;
  }
  if (!tap) return;
  const last = devices.children.filter((c) => c.name === 'interface').pop();
  if (last) {
    const indent = lineIndent(xml, last.start);
    splices.push({ from: last.end, to: last.end, text: `\n${indent}${tapInterfaceElement(tap, indent)}` });
  } else appendChild(xml, devices, tapInterfaceElement(tap, childIndent(xml, devices)), splices);
}
