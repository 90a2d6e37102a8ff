// vmmeta libvirt patch <domain.xml> <vm>: put the VM's <sysinfo>, <smbios mode='sysinfo'/>, uuid and cidata
// CD-ROM (or its removal) into an existing domain XML, leaving every other byte as it was.
import { readFile } from 'node:fs/promises';
import { patchDomainXml } from '../../hypervisor/libvirt-patch.js';
import { writeFileAtomic } from '../../state/atomic.js';
import { loadStoredVm } from '../../vm/stored-vm.js';
import { EXIT, UserError } from '../../errors.js';
import { metadataNic } from '../../vm/plan.js';
import type { CdromBus } from '../../hypervisor/qemu-args.js';

export interface PatchResult {
  vm: string;
  input: string;
  written: string | null; // the file written, or null when printed
  cdrom: { path: string; bus: string } | null;
  xml: string;
  stdout: boolean; // print the XML itself (human mode without --out/--in-place)
}

export async function libvirtPatch(o: { root: string; xml: string; vm: string; out?: string | undefined; inPlace?: boolean; stdout: boolean }): Promise<PatchResult> {
  if (o.out && o.inPlace) throw new UserError('--out and --in-place exclude each other', { exitCode: EXIT.invalid });
  const { p, state, vm, smbios } = await loadStoredVm(o.root, o.vm);
  const text = await readFile(o.xml, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`cannot read ${o.xml}: ${err.code ?? err.message}`, { exitCode: EXIT.invalid, hint: `virsh dumpxml <domain> > ${o.xml}` });
  });
  const cdrom = state.outputs.cdrom;
  const xml = patchDomainXml(text, { smbios, uuid: vm.uuid, cdrom: cdrom ? { path: cdrom.path, bus: cdrom.bus as CdromBus } : null, metadataNic: metadataNic(vm, p) });
  const target = o.inPlace ? o.xml : (o.out ?? null);
  if (target) await writeFileAtomic(target, xml, { mode: 0o644 });
  return { vm: o.vm, input: o.xml, written: target, cdrom, xml, stdout: o.stdout };
}
