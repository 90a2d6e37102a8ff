// Human output of list: one row per VM.
import type { ListEntry } from '../commands/list.js';
import { paint, table, type FormatOptions } from '../output.js';

export function formatList(r: { root: string; vms: ListEntry[] }, o: FormatOptions): string {
  if (!r.vms.length) return `no VMs in ${r.root}\n`;
  const c = paint(o);
  const rows = r.vms.map((v) => [
    v.name,
    v.sidecar.state === 'unknown'
      ? 'error'
      : v.sidecar.state === 'running' && !v.sidecar.answering
        ? 'not answering'
        : v.sidecar.state,
    v.nocloud === 'cd' ? 'cidata' : (v.nocloud ?? '-'),
    v.datasource ?? (v.error ? '-' : 'disabled'),
    v.uuid ?? '-',
    v.error ?? v.sidecar.listen?.map((l) => l.url ?? l.address).join(' ') ?? '',
  ]);
  const state = (s: string) => (s.startsWith('running') ? c.green(s) : c.red(s));
  return table(['NAME', 'SIDECAR', 'CD', 'DATASOURCE', 'UUID', 'ADDRESS'], rows, o, [undefined, state]);
}
