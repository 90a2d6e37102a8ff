// Memory and start-up of sidecars against a bare Node HTTP server, both measured the same way in the same run:
// 1, then 10, then 100 processes running together, summing /proc/<pid>/smaps_rollup. The two sets never run at
// the same time, because PSS splits shared pages (the node binary) among every process mapping them.
// Time to first answer is spawn -> first 200, polling every 2 ms over fresh connections.
import type { ChildProcess } from 'node:child_process';
import type { BenchContext } from './lib/context.js';
import { row, type Row } from './lib/report.js';
import { median, now, msSince } from './lib/stats.js';
import { freePort, waitFor200 } from './lib/http.js';
import { sleep, spawnTracked, stopChild } from './lib/proc.js';
import { sumFootprints, type Footprint } from './lib/memory.js';
import { BIN, examplePath, runCliOk, tempStateRoot, writeVariant } from './lib/vmmeta.js';

interface Started {
  child: ChildProcess;
  firstAnswerMs: number;
}

type Launcher = (i: number) => Promise<Started>;

async function measureSet(
  launch: Launcher,
  counts: number[],
): Promise<{ totals: Map<number, Footprint>; firstAnswer: number[] }> {
  const running: Started[] = [];
  const totals = new Map<number, Footprint>();
  try {
    for (const count of counts) {
      while (running.length < count) running.push(await launch(running.length));
      await sleep(300); // let start-up garbage settle the same way for both sets
      totals.set(count, sumFootprints(running.map((s) => s.child.pid!)));
    }
    return { totals, firstAnswer: running.slice(0, 10).map((s) => s.firstAnswerMs) };
  } finally {
    await Promise.all(running.map((s) => stopChild(s.child)));
  }
}

async function createStopped(ctx: BenchContext, root: string, n: number): Promise<Array<{ vm: string; port: number }>> {
  const vms: Array<{ vm: string; port: number }> = [];
  for (let i = 0; i < n; i++) vms.push({ vm: `bench-mem-${i}`, port: await freePort() });
  // Created 4 at a time without a sidecar; the benchmark starts each one itself to time it.
  // allSettled, not all: a failure must not start the clean-up while sibling creates still write into the root.
  for (let i = 0; i < vms.length; i += 4) {
    const results = await Promise.allSettled(
      vms
        .slice(i, i + 4)
        .map(({ vm, port }) =>
          runCliOk(
            [
              'create',
              writeVariant(examplePath('minimal'), ctx.scratch, { name: vm, listen: [`127.0.0.1:${port}`] }),
              '--no-start',
              '--json',
            ],
            { stateDir: root },
          ),
        ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
  return vms;
}

export async function benchFootprint(ctx: BenchContext): Promise<Row[]> {
  const counts = ctx.quick ? [1, 10] : [1, 10, 100];
  const max = counts[counts.length - 1]!;
  const root = tempStateRoot('footprint');
  const vms = await createStopped(ctx, root, max);

  const sidecar: Launcher = async (i) => {
    const { vm, port } = vms[i]!;
    const t0 = now();
    const child = spawnTracked(process.execPath, [BIN, 'serve', vm], {
      env: { ...process.env, VMMETA_STATE_DIR: root },
    });
    await waitFor200(port, '/openstack', 5000);
    return { child, firstAnswerMs: msSince(t0) };
  };
  const bare: Launcher = async () => {
    const port = await freePort();
    const t0 = now();
    const child = spawnTracked(process.execPath, [
      '-e',
      `require('http').createServer((q,s)=>s.end('x')).listen(${port},'127.0.0.1')`,
    ]);
    await waitFor200(port, '/', 5000);
    return { child, firstAnswerMs: msSince(t0) };
  };

  const ours = await measureSet(sidecar, counts);
  const base = await measureSet(bare, counts);
  const mb = (kb: number) => kb / 1024;
  const rows: Row[] = [];
  for (const count of counts) {
    const o = ours.totals.get(count)!;
    const b = base.totals.get(count)!;
    for (const k of ['rssKb', 'pssKb', 'privateKb'] as const) {
      const label = { rssKb: 'RSS', pssKb: 'PSS', privateKb: 'private' }[k];
      const perVm = mb(o[k]) / count;
      const basePerVm = mb(b[k]) / count;
      rows.push(
        row({
          group: 'footprint',
          name: `${label} per sidecar, ${count} running`,
          value: perVm,
          unit: 'MB',
          peer: { name: 'bare node http', value: basePerVm },
          ...(k === 'pssKb' && count === 10
            ? { target: { op: '<=' as const, value: 2, text: 'within 2 MB of bare node' }, subject: perVm - basePerVm }
            : {}),
        }),
      );
    }
  }
  for (let i = 1; i < counts.length; i++) {
    const [lo, hi] = [counts[i - 1]!, counts[i]!];
    const marginal = (t: Map<number, Footprint>) => mb(t.get(hi)!.pssKb - t.get(lo)!.pssKb) / (hi - lo);
    rows.push(
      row({
        group: 'footprint',
        name: `marginal PSS per added sidecar, ${lo} -> ${hi}`,
        value: marginal(ours.totals),
        unit: 'MB',
        peer: { name: 'bare node http', value: marginal(base.totals) },
      }),
    );
  }
  rows.push(
    row({
      group: 'footprint',
      name: 'spawn -> first 200 (vmmeta serve)',
      value: median(ours.firstAnswer),
      unit: 'ms',
      runs: ours.firstAnswer.length,
      peer: { name: 'bare node http', value: median(base.firstAnswer) },
      target: { op: '<', value: 150, text: '< 150 ms' },
    }),
  );
  return rows;
}
