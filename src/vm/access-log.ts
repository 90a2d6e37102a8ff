// Reading the sidecar's access log (access.ndjson, rotated to access.ndjson.1 by the sidecar). Lines that are
// not JSON (a write cut short by a crash) are skipped.
import { readFile } from 'node:fs/promises';
import { isProbePath } from './probe.js';
import type { AccessEntry } from '../sidecar/access-log.js';

// One request as the sidecar logged it: the sidecar's own type, so the two never drift.
export type AccessRecord = AccessEntry;

export interface LogEntry extends AccessRecord {
  probe: boolean; // a vmmeta health check, not the guest
  raw: string;
}

export function parseLine(raw: string): LogEntry | undefined {
  try {
    const e = JSON.parse(raw) as Omit<LogEntry, 'raw' | 'probe'>;
    if (typeof e?.path !== 'string' || typeof e.status !== 'number') return undefined;
    return { ...e, probe: isProbePath(e.path), raw };
  } catch {
    return undefined;
  }
}

export function parseLines(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    const e = line.trim() ? parseLine(line) : undefined;
    if (e) out.push(e);
  }
  return out;
}

export async function readAccessLog(file: string): Promise<LogEntry[]> {
  const old = await readFile(`${file}.1`, 'utf8').catch(() => '');
  const cur = await readFile(file, 'utf8').catch(() => '');
  return parseLines(old + cur);
}
