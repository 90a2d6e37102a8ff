// Human output of logs (and the recent requests inspect shows): one line per request.
import type { AccessRecord } from '../../vm/access-log.js';
import { paint, type FormatOptions } from '../output.js';

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
