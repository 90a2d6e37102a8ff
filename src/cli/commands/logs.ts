// vmmeta logs <vm> [-f] [-n N]: the guest's requests from the access log, oldest first. vmmeta's own health
// checks are left out. --follow polls the file (a short sleep, no busy loop), copes with the sidecar rotating
// it, and ends on SIGINT/SIGTERM (exit 0) — or, with a message and a non-zero exit, once nothing more can
// arrive: the VM was deleted (exit 3) or its sidecar has been gone for FOLLOW_GRACE_MS (exit 1).
import { open, stat } from 'node:fs/promises';
import { requireVm, vmExists } from '../../state/store.js';
import { lockOwner } from '../../state/lock.js';
import type { VmPaths } from '../../state/paths.js';
import { EXIT, UserError } from '../../errors.js';
import { parseLine, readAccessLog, type LogEntry } from '../../vm/access-log.js';
import { sidecarStatus } from '../../vm/sidecar-control.js';

// A restart (update, systemd's Restart=) leaves a short gap with no sidecar; only a longer one ends -f. While a
// command holds the VM's lock it may be replacing the sidecar, so that time does not count.
export const FOLLOW_GRACE_MS = 2000;

export interface LogsOptions {
  root: string;
  vm: string;
  lines: number;
  follow: boolean;
  emit: (entry: LogEntry) => void;
  pollMs?: number;
  graceMs?: number;
  signal?: AbortSignal;
}

export async function logs(o: LogsOptions): Promise<{ name: string; shown: number }> {
  const p = await requireVm(o.root, o.vm);
  const size = await stat(p.accessLog).then(
    (s) => s.size,
    () => 0,
  );
  const entries = (await readAccessLog(p.accessLog)).filter((e) => !e.probe);
  const tail = o.lines === 0 ? [] : entries.slice(-o.lines);
  for (const e of tail) o.emit(e);
  let shown = tail.length;
  if (!o.follow) return { name: o.vm, shown };

  const stopped = new AbortController();
  const onSignal = () => stopped.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  o.signal?.addEventListener('abort', onSignal);
  let offset = size;
  let partial = '';
  let goneSince: number | undefined;
  // Reads what the sidecar appended since the last poll (from the start after a rotation).
  const drain = async (): Promise<void> => {
    const now = await stat(p.accessLog).then(
      (s) => s.size,
      () => 0,
    );
    if (now < offset) offset = 0; // rotated: the new file starts from scratch
    if (now === offset) return;
    const fh = await open(p.accessLog, 'r');
    try {
      const buf = Buffer.alloc(now - offset);
      await fh.read(buf, 0, buf.length, offset);
      offset = now;
      const lines = (partial + buf.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const e = parseLine(line);
        if (e && !e.probe) {
          o.emit(e);
          shown++;
        }
      }
    } finally {
      await fh.close();
    }
  };
  try {
    while (!stopped.signal.aborted) {
      await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
      if (!(await vmExists(o.root, o.vm))) {
        throw new UserError(`${o.vm} was deleted: no more requests will arrive`, { exitCode: EXIT.notFound });
      }
      await drain();
      goneSince = (await sidecarAround(p)) ? undefined : (goneSince ?? Date.now());
      if (goneSince !== undefined && Date.now() - goneSince >= (o.graceMs ?? FOLLOW_GRACE_MS)) {
        await drain(); // its last lines, written just before it went
        throw new UserError(`the sidecar of ${o.vm} is not running: no more requests will arrive`, {
          hint: `start it with: vmmeta start ${o.vm} (then vmmeta logs -f ${o.vm} again)`,
        });
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return { name: o.vm, shown };
}

// A running or starting sidecar, or a command holding the VM (which may be restarting it).
async function sidecarAround(p: VmPaths): Promise<boolean> {
  const status = await sidecarStatus(p);
  return status.state === 'running' || status.state === 'starting' || (await lockOwner(p.dir)) !== undefined;
}
