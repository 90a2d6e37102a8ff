// Human output of list, logs, start/stop and delete.
import type { ListEntry } from './commands/list.js';
import type { StartStopResult } from './commands/start-stop.js';
import type { DeleteResult } from './commands/delete.js';
import type { AccessRecord } from '../vm/access-log.js';
import { paint, table, type FormatOptions } from './output.js';

export function formatList(r: { root: string; vms: ListEntry[] }, o: FormatOptions): string {
  if (!r.vms.length) return `no VMs in ${r.root}\n`;
  const c = paint(o);
  const rows = r.vms.map((v) => [
    v.name,
    v.sidecar.state === 'unknown' ? 'error' : v.sidecar.state === 'running' && !v.sidecar.answering ? 'not answering' : v.sidecar.state,
    v.nocloud === 'cd' ? 'cidata' : (v.nocloud ?? '-'),
    v.datasource ?? (v.error ? '-' : 'disabled'),
    v.uuid ?? '-',
    v.error ?? v.sidecar.listen?.map((l) => l.url ?? l.address).join(' ') ?? '',
  ]);
  const state = (s: string) => (s.startsWith('running') ? c.green(s) : c.red(s));
  return table(['NAME', 'SIDECAR', 'CD', 'DATASOURCE', 'UUID', 'ADDRESS'], rows, o, [undefined, state]);
}

export function formatLogLine(e: AccessRecord, o: FormatOptions): string {
  const c = paint(o);
  const status = e.status >= 400 ? c.red(String(e.status)) : String(e.status);
  return `${e.time}  ${e.method.padEnd(4)} ${status} ${String(e.bytes).padStart(6)} B ${String(e.ms).padStart(4)} ms  ${requestFrom(e).padEnd(6)}  ${e.path}${e.token ? c.dim('  (token)') : ''}\n`;
}

// Who asked: "socket" (the VM's 0600 socket, i.e. the guest's guestfwd path) or "PEER → LISTENER" for TCP, so a
// request from another local user on a loopback listener stands out. Lines from before vmmeta logged the
// listener carry only `client`.
export function requestFrom(e: AccessRecord & { client?: string }): string {
  if (e.listener === undefined) return e.client ?? '?';
  return e.listener.startsWith('unix:') ? 'socket' : `${e.peer} → ${e.listener}`;
}

export function formatStartStop(r: StartStopResult, _o: FormatOptions): string {
  const where = r.sidecar ? `: pid ${r.sidecar.pid}, ${r.sidecar.listen.map((l) => l.url ?? l.address).join(', ')}` : r.pids.length ? ` (pid ${r.pids.join(', ')})` : '';
  return `${r.name}: sidecar ${r.action}${where}\n`;
}

export function formatDelete(r: DeleteResult, _o: FormatOptions): string {
  return `deleted ${r.name} (${r.dir})${r.stopped.length ? `; stopped sidecar pid ${r.stopped.join(', ')}` : ''}\n`;
}
