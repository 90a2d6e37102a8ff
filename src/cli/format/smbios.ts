// The SMBIOS fields a guest reads (create, explain and inspect print them).
import type { Smbios } from '../../hypervisor/smbios.js';
import { fields, type FormatOptions } from '../output.js';

export function smbiosLines(s: Smbios, o: FormatOptions): string {
  return fields(
    [
      ['product', s.type1.product ?? '(QEMU default)'],
      ['manufacturer', s.type1.manufacturer],
      ['serial', s.type1.serial],
      ['uuid', s.type1.uuid],
      ['asset tag', s.type3.asset],
    ],
    o,
    '  ',
  );
}
