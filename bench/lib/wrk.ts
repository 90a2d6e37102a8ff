// Runs wrk against one loopback URL and reads its summary. wrk is pinned to CPU 0 and the server under test to
// CPU 1 (when there are two), so the load generator and the server do not steal each other's core.
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';

export interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
}

export const PINNED = cpus().length >= 2;

function toMs(value: string, unit: string): number {
  const v = Number(value);
  return unit === 'us' ? v / 1000 : unit === 'ms' ? v : unit === 's' ? v * 1000 : unit === 'm' ? v * 60_000 : NaN;
}

export function parseWrk(out: string): WrkResult {
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    if (!m) throw new Error(`wrk output has no ${p}% latency:\n${out}`);
    return toMs(m[1]!, m[2]!);
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const total = /^\s*(\d+) requests in/m.exec(out);
  if (!rps || !total) throw new Error(`unreadable wrk output:\n${out}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(rps[1]),
    p50Ms: pct('50'),
    p99Ms: pct('99'),
    requests: Number(total[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

export function runWrk(url: string, connections: number, seconds: number): Promise<WrkResult> {
  const wrkArgs = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '2s', url];
  const [cmd, args] = PINNED ? ['taskset', ['-c', '0', 'wrk', ...wrkArgs]] : ['wrk', wrkArgs];
  return new Promise((resolve, reject) => {
    execFile(cmd, args as string[], { timeout: (seconds + 15) * 1000, encoding: 'utf8' }, (err, stdout) => {
      if (err) return reject(new Error(`wrk ${url}: ${err.message}`));
      try {
        resolve(parseWrk(stdout));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}
