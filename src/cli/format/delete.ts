import type { DeleteResult } from '../commands/delete.js';
import type { FormatOptions } from '../output.js';

export function formatDelete(r: DeleteResult, _o: FormatOptions): string {
  return `deleted ${r.name} (${r.dir})${r.stopped.length ? `; stopped sidecar pid ${r.stopped.join(', ')}` : ''}\n`;
}
