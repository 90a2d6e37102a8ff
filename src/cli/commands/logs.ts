// vmmeta logs <vm> [-f] [-n N]: the guest's requests from the access log, oldest first. vmmeta's own health
// checks are left out. --follow polls the file (a short sleep, no busy loop), copes with the sidecar rotating
// it, and ends on SIGINT/SIGTERM.
import { open, stat } from 'node:fs/promises';
import { requireVm } from '../../state/store.js';
import { parseLine, readAccessLog, type LogEntry } from '../access-log.js';

export interface LogsOptions {
  root: string;
  vm: string;
  lines: number;
  follow: boolean;
  emit: (entry: LogEntry) => void;
  pollMs?: number;
  signal?: AbortSignal;
}

export async function logs(o: LogsOptions): Promise<{ name: string; shown: number }> {
  const p = await requireVm(o.root, o.vm);
  const size = await stat(p.accessLog).then((s) => s.size, () => 0);
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
  try {
    while (!stopped.signal.aborted) {
      await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
      const now = await stat(p.accessLog).then((s) => s.size, () => 0);
      if (now < offset) offset = 0; // rotated: the new file starts from scratch
      if (now === offset) continue;
      const fh = await open(p.accessLog, 'r');
      try {
        const buf = Buffer.alloc(now - offset);
        await fh.read(buf, 0, buf.length, offset);
        offset = now;
        const text = partial + buf.toString('utf8');
        const lines = text.split('\n');
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
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return { name: o.vm, shown };
}
