// The sidecar under wrk on loopback at 1 and 64 connections, against nginx (one worker) serving the very bytes
// the sidecar served, from disk, and a bare Node HTTP server answering them from memory, in the same run. Runs
// alternate sidecar/bare node/nginx so drift hits all alike. Host mode: the same VM served by a `vmmeta host`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './lib/context.js';
import { row, type Row } from './lib/report.js';
import { median } from './lib/stats.js';
import { freePort, httpGet } from './lib/http.js';
import { startNginx } from './lib/nginx.js';
import { onCleanup, spawnTracked, trackPid } from './lib/proc.js';
import { runWrk, PINNED, type WrkResult } from './lib/wrk.js';
import {
  examplePath,
  readSidecar,
  runCliOk,
  startHost,
  tempStateRoot,
  writeVariant,
  type SidecarMode,
} from './lib/vmmeta.js';
import { smapsRollup } from './lib/memory.js';
import { writeFileSync } from 'node:fs';

// The peer Node server: the same bytes from memory with the headers a metadata answer carries, no routing
// beyond a map lookup, no log. What any Node metadata server costs at least.
const BARE_NODE = `const http = require('node:http'); const files = require(process.argv[1]);
const bodies = new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
http.createServer((q, s) => { const b = bodies.get(q.url); if (!b) { s.statusCode = 404; return s.end(); }
  s.writeHead(200, { 'content-type': q.url.endsWith('.json') ? 'application/json' : 'text/plain', 'content-length': b.length }); s.end(b); })
  .listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('ready\\n'));`;

async function startBareNode(dir: string, files: Map<string, Buffer>): Promise<number> {
  const port = await freePort();
  const json = join(dir, 'bare-node-files.json');
  writeFileSync(json, JSON.stringify(Object.fromEntries([...files].map(([k, v]) => [k, v.toString('base64')]))));
  const child = spawnTracked(process.execPath, ['-e', BARE_NODE, json, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`bare node server exited (${code})`)));
  });
  if (PINNED) execFileSync('taskset', ['-a', '-p', '-c', '1', String(child.pid)], { stdio: 'ignore' });
  return port;
}

export const LOAD_PATHS = [
  '/openstack/latest/meta_data.json',
  '/openstack/latest/network_data.json',
  '/latest/meta-data/instance-id',
];

export async function benchLoad(ctx: BenchContext, mode: SidecarMode = 'process'): Promise<Row[]> {
  const example = existsSync(examplePath('three-nic')) ? 'three-nic' : 'minimal';
  const root = tempStateRoot(`load-${mode}`);
  const spec = writeVariant(examplePath(example), ctx.scratch, { name: 'bench-load', mode });
  if (mode === 'host') await startHost(root);
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
  const nginxDir = join(ctx.scratch, `nginx-${mode}`);
  mkdirSync(nginxDir, { recursive: true });
  const nginx = await startNginx(nginxDir, await freePort(), files, LOAD_PATHS[0]!);
  onCleanup(() => nginx.stop());
  for (const [path, body] of files) {
    const r = await httpGet(nginx.port, path);
    if (r.status !== 200 || r.body !== body.toString())
      throw new Error(`load: nginx does not serve the sidecar's bytes for ${path}`);
  }

  const bare = await startBareNode(ctx.scratch, files);
  for (const [path, body] of files) {
    const r = await httpGet(bare, path);
    if (r.status !== 200 || r.body !== body.toString())
      throw new Error(`load: the bare node server does not serve the sidecar's bytes for ${path}`);
  }

  const seconds = ctx.quick ? 1 : 5;
  const reps = ctx.quick ? 1 : 3;
  const rssBefore = smapsRollup(side.pid).rssKb;
  const rows: Row[] = [];
  const tag = mode === 'host' ? 'host mode ' : '';
  // Host mode serves through the same server code: one document shows what the host process adds.
  for (const path of mode === 'host' ? LOAD_PATHS.slice(0, 1) : LOAD_PATHS) {
    for (const conns of [1, 64]) {
      const ours: WrkResult[] = [];
      const theirs: WrkResult[] = [];
      const plain: WrkResult[] = [];
      for (let i = 0; i < reps; i++) {
        ours.push(await runWrk(`http://127.0.0.1:${side.port}${path}`, conns, seconds));
        plain.push(await runWrk(`http://127.0.0.1:${bare}${path}`, conns, seconds));
        theirs.push(await runWrk(`http://127.0.0.1:${nginx.port}${path}`, conns, seconds));
      }
      const bad = ours.reduce((a, r) => a + r.non2xx + r.socketErrors, 0);
      const m = (rs: WrkResult[], k: keyof WrkResult) => median(rs.map((r) => r[k]));
      const label = `${tag}${path} c=${conns}`;
      ctx.log(
        `load ${label}: sidecar ${m(ours, 'rps').toFixed(0)} req/s p99 ${m(ours, 'p99Ms').toFixed(2)} ms; bare node ${m(plain, 'rps').toFixed(0)} req/s; nginx ${m(theirs, 'rps').toFixed(0)} req/s p99 ${m(theirs, 'p99Ms').toFixed(2)} ms`,
      );
      const note = bad ? `${bad} non-2xx/socket errors from the sidecar` : undefined;
      // Requests per second against one peer, with the ratio the target names.
      const throughput = (name: string, peer: string, peerRps: number, min: number, extra: { note?: string } = {}) =>
        row({
          group: 'load',
          name,
          value: m(ours, 'rps'),
          unit: 'req/s',
          runs: reps,
          peer: { name: peer, value: peerRps },
          target: { op: '>=', value: min, text: `>= ${min}x ${peer}` },
          subject: m(ours, 'rps') / peerRps,
          ...extra,
        });
      rows.push(
        throughput(`requests/s ${label}`, 'nginx', m(theirs, 'rps'), 0.5, note ? { note } : {}),
        throughput(`requests/s ${label}, against bare node`, 'bare node http', m(plain, 'rps'), 0.9),
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
      name: `${tag}sidecar RSS growth over the load runs`,
      value: (rssAfter - rssBefore) / 1024,
      unit: 'MB',
    }),
  );
  return rows;
}
