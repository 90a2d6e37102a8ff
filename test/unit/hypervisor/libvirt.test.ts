import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sysinfoXml, domainXml, renderTemplate, freeTargetDev } from '../../../src/hypervisor/libvirt.js';
import { patchDomainXml, type PatchOptions } from '../../../src/hypervisor/libvirt-patch.js';
import { resolveSmbios } from '../../../src/hypervisor/smbios.js';
import { parseXml, lineSpan, child, XmlSyntaxError } from '../../../src/hypervisor/xml-spans.js';
import type { XmlElement } from '../../../src/hypervisor/xml-spans.js';
import { UserError, EXIT } from '../../../src/errors.js';
import { makeVm, UUID } from './fixtures.js';

const HAND = readFileSync(
  fileURLToPath(new URL('../../../../test/golden-hypervisor/hand-written-domain.xml', import.meta.url)),
  'utf8',
);
const NIC = {
  id: 'vmmeta0',
  mac: '52:54:00:12:34:56',
  connector: 'socat -lf /dev/null - UNIX-CONNECT:/var/lib/vmmeta/web1/sidecar.sock',
};
const OPTS: PatchOptions = {
  smbios: resolveSmbios(makeVm({ smbios: { family: 'A & <B> "c"' } })),
  uuid: UUID,
  cdrom: { path: '/var/lib/vmmeta/web1/cidata.iso', bus: 'ide' },
  metadataNic: NIC,
};

// Removes the elements vmmeta edits (and the namespace attribute it may add), so what is left must be identical.
function withoutEdited(xml: string): string {
  const root = parseXml(xml);
  const drop: XmlElement[] = [];
  const os = child(root, 'os') as XmlElement;
  drop.push(...root.children.filter((c) => c.name === 'sysinfo' || c.name === 'qemu:commandline'));
  drop.push(...os.children.filter((c) => c.name === 'smbios'));
  const devices = child(root, 'devices') as XmlElement;
  drop.push(...devices.children.filter((d) => d.name === 'disk' && d.children.some((c) => c.name === 'alias')));
  let out = xml;
  for (const el of drop.sort((a, b) => b.start - a.start)) {
    const [from, to] = lineSpan(xml, el);
    out = out.slice(0, from) + out.slice(to);
  }
  return out.replace(` xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'`, '');
}

test('patch is idempotent and touches nothing outside the edited elements', () => {
  const once = patchDomainXml(HAND, OPTS);
  assert.equal(patchDomainXml(once, OPTS), once);
  assert.equal(withoutEdited(once), withoutEdited(HAND));
  assert.ok(once.includes('<!-- boot from the main disk -->') && once.includes('<domain type="kvm"'));
  assert.match(once, /<entry name='family'>A &amp; &lt;B&gt; &quot;c&quot;<\/entry>/);
  assert.match(once, /<target dev='sdf' bus='sata'\/>/, 'ide on q35 becomes libvirt sata');
  assert.equal((once.match(/<sysinfo /g) ?? []).length, 1);
});

test('a domain with no disk and no NIC of its own (virt-install --disk none --network none) patches the same twice', () => {
  // The shape Debian's virt-install 4.1 prints: double quotes, devices with only a console and a serial port.
  const bare = `<domain type="qemu">
  <name>web1</name>
  <uuid>${UUID}</uuid>
  <os>
    <type arch="x86_64" machine="q35">hvm</type>
  </os>
  <devices>
    <serial type="file">
      <source path="/var/log/libvirt/qemu/web1-serial.log"/>
    </serial>
  </devices>
</domain>
`;
  const tap = { device: 'tap-web1', bridge: 'br0', mac: '52:54:00:12:34:56' };
  const once = patchDomainXml(bare, { ...OPTS, tap });
  assert.match(once, /<target dev='tap-web1'\/>/);
  assert.match(once, /cidata\.iso/);
  assert.equal(patchDomainXml(once, { ...OPTS, tap }), once);
});

test('removing the CD and the NIC restores the original bytes apart from sysinfo and the namespace', () => {
  const once = patchDomainXml(HAND, OPTS);
  const back = patchDomainXml(once, { ...OPTS, cdrom: null, metadataNic: null });
  assert.equal(withoutEdited(back), withoutEdited(HAND));
  assert.doesNotMatch(back, /vmmeta-cidata|qemu:commandline/);
  assert.equal(patchDomainXml(back, { ...OPTS, cdrom: null, metadataNic: null }), back);
});

test('switching the CD bus or path replaces the one disk', () => {
  const once = patchDomainXml(HAND, OPTS);
  const scsi = patchDomainXml(once, { ...OPTS, cdrom: { path: '/x/cidata.iso', bus: 'scsi' } });
  assert.equal((scsi.match(/ua-vmmeta-cidata/g) ?? []).length, 1);
  assert.match(scsi, /<source file='\/x\/cidata.iso'\/>\n\s+<target dev='sdg' bus='scsi'\/>/);
});

test('other qemu:commandline arguments are kept', () => {
  const withArgs = HAND.replace(
    '<domain type="kvm">',
    `<domain type="kvm" xmlns:qemu="${'http://libvirt.org/schemas/domain/qemu/1.0'}">`,
  ).replace(
    '</devices>\n',
    '</devices>\n  <qemu:commandline>\n    <qemu:arg value="-no-hpet"/>\n  </qemu:commandline>\n',
  );
  const once = patchDomainXml(withArgs, OPTS);
  assert.equal(patchDomainXml(once, OPTS), once);
  assert.match(once, /<qemu:arg value="-no-hpet"\/>\n    <qemu:arg value='-netdev'\/>/);
  assert.doesNotMatch(once, /xmlns:qemu='/, 'the existing namespace binding is reused');
  const removed = patchDomainXml(once, { ...OPTS, metadataNic: null });
  assert.equal(
    removed,
    withArgs
      .replace(/<sysinfo[\s\S]*?<\/sysinfo>/, (once.match(/<sysinfo[\s\S]*?<\/sysinfo>/) as RegExpMatchArray)[0])
      .replace(
        '    <boot dev="hd"/>   <!-- boot from the main disk -->\n',
        `    <boot dev="hd"/>   <!-- boot from the main disk -->\n    <smbios mode='sysinfo'/>\n`,
      )
      .replace(
        /(<target dev='sda' bus='sata'\/>\n    <\/disk>)/,
        `$1\n${(once.match(/    <disk type='file' device='cdrom'>[\s\S]*?<\/disk>/) as RegExpMatchArray)[0]}`,
      ),
  );
});

test('a missing uuid is added; a different uuid is refused with a hint', () => {
  const noUuid = HAND.replace(/  <uuid>.*<\/uuid>\n/, '');
  assert.match(patchDomainXml(noUuid, OPTS), new RegExp(`<name>web1</name>\\n  <uuid>${UUID}</uuid>`));
  const other = HAND.replace(/<uuid>.*<\/uuid>/, '<uuid>11111111-2222-4333-8444-555555555555</uuid>');
  assert.throws(
    () => patchDomainXml(other, OPTS),
    (e: unknown) => e instanceof UserError && e.exitCode === EXIT.conflict && /uuid: 11111111/.test(e.hint ?? ''),
  );
});

test('an <os> with another smbios mode is switched to sysinfo; an existing sysinfo mode is left as written', () => {
  const host = HAND.replace('<boot dev="hd"/>', '<boot dev="hd"/>\n    <smbios mode="host"/>');
  assert.match(patchDomainXml(host, OPTS), /<smbios mode='sysinfo'\/>/);
  const already = HAND.replace('<boot dev="hd"/>', '<boot dev="hd"/>\n    <smbios mode="sysinfo"/>');
  assert.match(patchDomainXml(already, OPTS), /<smbios mode="sysinfo"\/>/);
});

test('refusals: not XML, not a domain, a NIC MAC already used by an <interface>', () => {
  assert.throws(() => patchDomainXml('<domain><name>x</name>', OPTS), /not well-formed/);
  assert.throws(() => patchDomainXml('<network/>', OPTS), /expected a libvirt <domain>/);
  assert.throws(
    () => patchDomainXml(HAND, { ...OPTS, metadataNic: { ...NIC, mac: '52:54:00:aa:bb:cc' } }),
    /already has an <interface> with MAC/,
  );
  assert.throws(() => parseXml('<a><b></a>'), XmlSyntaxError);
});

test('sysinfo.xml escapes values and leaves out an empty chassis', () => {
  const plain = sysinfoXml(resolveSmbios(makeVm({ smbios: { profile: 'plain', manufacturer: "O'Brien & Co" } })));
  assert.equal(
    plain,
    `<sysinfo type='smbios'>\n  <system>\n    <entry name='manufacturer'>O&apos;Brien &amp; Co</entry>\n    <entry name='serial'>${UUID}</entry>\n    <entry name='uuid'>${UUID}</entry>\n  </system>\n</sysinfo>\n`,
  );
});

test('templates: escaped and raw placeholders; a missing or unused value throws', () => {
  assert.equal(renderTemplate('<a>{{x}}</a>{{{y}}}', { x: '<&>' }, { y: '<b/>' }), '<a>&lt;&amp;&gt;</a><b/>');
  assert.throws(() => renderTemplate('{{x}}{{z}}', { x: '1' }, {}), /no value for \{\{z\}\}/);
  assert.throws(() => renderTemplate('{{x}}', { x: '1', y: '2' }, {}), /no placeholder for y/);
  const xml = domainXml(makeVm({ name: 'web1' }), { smbios: OPTS.smbios, cdrom: OPTS.cdrom, metadataNic: NIC });
  assert.match(xml, /<name>web1<\/name>/);
  assert.equal(patchDomainXml(xml, OPTS), xml, 'the template already is a patched domain');
});

test('the CD takes the last free target name on the first controller', () => {
  assert.equal(freeTargetDev('sata', ['sda', 'sdf']), 'sde');
  assert.equal(freeTargetDev('ide', []), 'hdd', "a 'pc' board has one IDE controller: hda-hdd");
  assert.equal(freeTargetDev('scsi', []), 'sdg');
  assert.equal(freeTargetDev('virtio', ['vda']), 'vdz');
  assert.throws(
    () => freeTargetDev('ide', ['hda', 'hdb', 'hdc', 'hdd']),
    /no free ide target name on the first ide controller/,
  );
});

test('an empty <qemu:commandline/> is filled instead of adding a second one', () => {
  const empty = HAND.replace(
    '<domain type="kvm">',
    `<domain type="kvm" xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>`,
  ).replace('</devices>\n', '</devices>\n  <qemu:commandline/>\n');
  const once = patchDomainXml(empty, OPTS);
  assert.equal((once.match(/<qemu:commandline/g) ?? []).length, 1);
  assert.equal(patchDomainXml(once, OPTS), once);
});

test("the starter domain's machine is the spec's hotplug.machine, and q35 carries spare root ports for nic add", () => {
  const ports = (xml: string) => (xml.match(/<controller type='pci' model='pcie-root-port'\/>/g) ?? []).length;
  const opts = { smbios: OPTS.smbios, cdrom: null };
  const plain = domainXml(makeVm({}), opts);
  assert.match(plain, /machine='q35'/);
  assert.equal(ports(plain), 4, 'no hotplug section: q35 with the default spare ports');
  // A real libvirtd refuses root ports listed before the root ("index='0' must be model='pcie-root'").
  assert.ok(plain.indexOf("model='pcie-root'/>") < plain.indexOf("model='pcie-root-port'/>"), 'pcie-root comes first');
  const pc = domainXml(makeVm({ hotplug: { network: true, machine: 'pc' } }), opts);
  assert.match(pc, /machine='pc'/);
  assert.equal(ports(pc), 0, 'pc hot-plugs on its root bus');
  assert.equal(ports(domainXml(makeVm({ hotplug: { network: true, machine: 'q35', rootPorts: 7 } }), opts)), 7);
  assert.equal(ports(domainXml(makeVm({ hotplug: { network: true, machine: 'q35', rootPorts: 0 } }), opts)), 0);
});
