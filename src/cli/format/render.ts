// Human output of render: every file written, and which uuid the documents carry.
import type { RenderResult } from '../commands/render.js';
import { plural, table, type FormatOptions } from '../output.js';

export function formatRender(r: RenderResult, o: FormatOptions): string {
  const rows = r.files.map((f) => [f.mode, String(f.bytes), f.path]);
  const ids =
    r.ids === 'vm'
      ? `the uuid of the VM in ${r.vmDir}`
      : r.ids === 'spec'
        ? "the spec's uuid"
        : 'a new uuid (no VM of that name exists: add uuid: to the spec to keep it across renders)';
  const removed = r.removed.length
    ? `; ${plural(r.removed.length, 'stale file')} of the previous render removed:\n${r.removed.map((f) => `  ${f}\n`).join('')}`
    : '\n';
  return (
    table(['MODE', 'BYTES', 'PATH'], rows, o) +
    `${plural(r.files.length, 'file')} written to ${r.out}${removed}instance: ${r.uuid}, ${ids}\n`
  );
}
