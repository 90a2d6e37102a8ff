// Human output of libvirt patch: the XML itself on stdout, else what was written.
import type { PatchResult } from '../commands/libvirt-patch.js';
import type { FormatOptions } from '../output.js';

export function formatPatch(r: PatchResult, _o: FormatOptions): string {
  if (r.stdout) return r.xml;
  return `${r.written ? `wrote ${r.written}` : 'patched'}: SMBIOS sysinfo, uuid and ${r.cdrom ? `cidata CD-ROM (${r.cdrom.path}, bus ${r.cdrom.bus})` : 'no CD-ROM (removed if it was there)'}\n`;
}
