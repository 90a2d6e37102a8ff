import type { StartStopResult } from '../commands/start-stop.js';
import type { FormatOptions } from '../output.js';

export function formatStartStop(r: StartStopResult, _o: FormatOptions): string {
  const where = r.sidecar
    ? `: ${r.sidecar.host ? 'vmmeta host, ' : ''}pid ${r.sidecar.pid}, ${r.sidecar.listen.map((l) => l.url ?? l.address).join(', ')}`
    : r.host !== undefined
      ? ` (by the vmmeta host, pid ${r.host}, which keeps running)`
      : r.pids.length
        ? ` (pid ${r.pids.join(', ')})`
        : '';
  return `${r.name}: sidecar ${r.action}${where}\n`;
}
