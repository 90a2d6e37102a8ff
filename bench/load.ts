// The sidecar under wrk on loopback at 1 and 64 connections, against nginx (one worker) serving the very bytes
// the sidecar served, from disk, in the same run. Runs alternate sidecar/nginx so drift hits both alike.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './lib/context.js';
import { row, type Row } from './lib/report.js';
import { median } from './lib/stats.js';
import { freePort, httpGet } from './lib/http.js';
import { startNginx } from './lib/nginx.js';
import { onCleanup, trackPid } from './lib/proc.js';
import { runWrk, PINNED, type WrkResult } from './lib/wrk.js';
import { examplePath, readSidecar, runCliOk, tempStateRoot, writeVariant } from './lib/vmmeta.js';
import { smapsRollup } from './lib/memory.js';

export const LOAD_PATHS = [
  '/openstack/latest/meta_data.json',
  '/openstack/latest/network_data.json',
  '/latest/meta-data/instance-id',
];

export async function benchLoad(ctx: BenchContext): Promise<Row[]> {
  const example = existsSync(examplePath('three-nic')) ? 'three-nic' : 'minimal';
  const root = tempStateRoot('load');
  const spec = writeVariant(examplePath(example), ctx.scratch, { name: 'bench-load' });
  await runCliOk(['create', spec, '--json'], { stateDir: root });
  const side = readSidecar(root, 'bench-load');
  if (!side?.port) throw new Error('load: no tcp listener in sidecar.json');
  trackPid(side.pid);
  if (PINNED) execFileSync('taskset', ['-a', '-p', '-c', '1', String(side.pid)], { stdio: 'ignore' });

  const files = new Map<string, Buffer>();
  for (const path of LOAD_PATHS) {
    const r = await httpGet(side.port, path);
    if (r.status !== 200) throw new Error(`load: sidecar answered ${r.status} for ${path}`);
    files.set(path, Buffer.from(r.body));
  }
  const nginxDir = join(ctx.scratch, 'nginx');
  mkdirSync(nginxDir, { recursive: true });
  const nginx = await startNginx(nginxDir, await freePort(), files, LOAD_PATHS[0]!);
  onCleanup(() => nginx.stop());
  for (const [path, body] of files) {
    const r = await httpGet(nginx.port, path);
    if (r.status !== 200 || r.body !== body.toString())
      throw new Error(`load: nginx does not serve the sidecar's bytes for ${path}`);
  }

  const seconds = ctx.quick ? 1 : 5;
  const reps = ctx.quick ? 1 : 3;
  const rssBefore = smapsRollup(side.pid).rssKb;
  const rows: Row[] = [];
  for (const path of LOAD_PATHS) {
    for (const conns of [1, 64]) {
      const ours: WrkResult[] = [];
      const theirs: WrkResult[] = [];
      for (let i = 0; i < reps; i++) {
        ours.push(await runWrk(`http://127.0.0.1:${side.port}${path}`, conns, seconds));
        theirs.push(await runWrk(`http://127.0.0.1:${nginx.port}${path}`, conns, seconds));
      }
      const bad = ours.reduce((a, r) => a + r.non2xx + r.socketErrors, 0);
      const m = (rs: WrkResult[], k: keyof WrkResult) => median(rs.map((r) => r[k]));
      const label = `${path} c=${conns}`;
      ctx.log(
        `load ${label}: sidecar ${m(ours, 'rps').toFixed(0)} req/s p99 ${m(ours, 'p99Ms').toFixed(2)} ms; nginx ${m(theirs, 'rps').toFixed(0)} req/s p99 ${m(theirs, 'p99Ms').toFixed(2)} ms`,
      );
      const note = bad ? `${bad} non-2xx/socket errors from the sidecar` : undefined;
      rows.push(
        row({
          group: 'load',
          name: `requests/s ${label}`,
          value: m(ours, 'rps'),
          unit: 'req/s',
          runs: reps,
          peer: { name: 'nginx', value: m(theirs, 'rps') },
          target: { op: '>=', value: 0.5, text: '>= 0.5x nginx' },
          subject: m(ours, 'rps') / m(theirs, 'rps'),
          ...(note ? { note } : {}),
        }),
        row({
          group: 'load',
          name: `p50 ${label}`,
          value: m(ours, 'p50Ms'),
          unit: 'ms',
          runs: reps,
          peer: { name: 'nginx', value: m(theirs, 'p50Ms') },
        }),
        row({
          group: 'load',
          name: `p99 ${label}`,
          value: m(ours, 'p99Ms'),
          unit: 'ms',
          runs: reps,
          peer: { name: 'nginx', value: m(theirs, 'p99Ms') },
          ...(conns === 64 ? { target: { op: '<' as const, value: 2, text: 'p99 < 2 ms at 64 connections' } } : {}),
        }),
      );
    }
  }
  const rssAfter = smapsRollup(side.pid).rssKb;
  rows.push(
    row({
      group: 'load',
      name: 'sidecar RSS growth over the load runs',
      value: (rssAfter - rssBefore) / 1024,
      unit: 'MB',
    }),
  );
  return rows;
}
