// Memory of a process from /proc/<pid>/smaps_rollup. PSS divides shared pages (the node binary, shared
// libraries) among the processes mapping them, so summing PSS over N sidecars gives their true joint cost;
// private (clean + dirty) is what killing one of them would give back.
import { readFileSync } from 'node:fs';

export interface Footprint {
  rssKb: number;
  pssKb: number;
  privateKb: number;
}

export function smapsRollup(pid: number): Footprint {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!m) throw new Error(`no ${name} in /proc/${pid}/smaps_rollup`);
    return Number(m[1]);
  };
  return { rssKb: field('Rss'), pssKb: field('Pss'), privateKb: field('Private_Clean') + field('Private_Dirty') };
}

export function sumFootprints(pids: number[]): Footprint {
  const total = { rssKb: 0, pssKb: 0, privateKb: 0 };
  for (const pid of pids) {
    const f = smapsRollup(pid);
    total.rssKb += f.rssKb;
    total.pssKb += f.pssKb;
    total.privateKb += f.privateKb;
  }
  return total;
}
