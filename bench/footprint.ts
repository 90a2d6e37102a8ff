// Memory and start-up of sidecars against a bare Node HTTP server, both measured the same way in the same run:
// 1, then 10, then 100 processes running together, summing /proc/<pid>/smaps_rollup. The two sets never run at
// the same time, because PSS splits shared pages (the node binary) among every process mapping them.
// Time to first answer is spawn -> first 200, polling every 2 ms over fresh connections.
// Host mode: one `vmmeta host` process serving the same VMs (spec sidecar.mode: host), asked to load 1, then 10,
// then 100 of them; then a fresh host started on all 100, timed until every VM answers.
import type { ChildProcess } from 'node:child_process';
import type { BenchContext } from './lib/context.js';
import { row, type Row } from './lib/report.js';
import { median, now, msSince } from './lib/stats.js';
import { freePort, waitFor200 } from './lib/http.js';
import { sleep, spawnTracked, stopChild } from './lib/proc.js';
import { sumFootprints, type Footprint } from './lib/memory.js';
import { writeFileSync, rmSync } from 'node:fs';
import { hostRequest } from '../src/vm/host-client.js';
import { join } from 'node:path';
import { BIN, examplePath, runCliOk, startHost, tempStateRoot, writeVariant, type SidecarMode } from './lib/vmmeta.js';

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

async function createStopped(
  ctx: BenchContext,
  root: string,
  n: number,
  mode: SidecarMode = 'process',
): Promise<Array<{ vm: string; port: number }>> {
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
              writeVariant(examplePath('minimal'), ctx.scratch, { name: vm, listen: [`127.0.0.1:${port}`], mode }),
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

async function measureHost(
  ctx: BenchContext,
  counts: number[],
): Promise<{ totals: Map<number, Footprint>; empty: Footprint; allAnswerMs: number }> {
  const max = counts[counts.length - 1]!;
  const root = tempStateRoot('footprint-host');
  const vms = await createStopped(ctx, root, max, 'host');
  // Stopped as `vmmeta stop` leaves them, so the host starts empty and the benchmark adds them in steps.
  for (const { vm } of vms) writeFileSync(join(root, vm, 'sidecar.stopped'), 'bench\n', { mode: 0o600 });
  const host = await startHost(root);
  const pid = host.child.pid!;
  await sleep(300);
  const empty = sumFootprints([pid]);
  const totals = new Map<number, Footprint>();
  let served = 0;
  for (const count of counts) {
    // As `vmmeta start` asks: one load request per VM on the host's control socket.
    for (; served < count; served++) await hostRequest(root, { op: 'load', vm: vms[served]!.vm, start: true });
    await waitFor200(vms[count - 1]!.port, '/openstack', 5000);
    await sleep(300);
    totals.set(count, sumFootprints([pid]));
  }
  await stopChild(host.child);
  // A restart, as after a reboot or a crash: time from spawn until every one of the VMs answers.
  for (const { vm } of vms) rmSync(join(root, vm, 'sidecar.stopped'), { force: true });
  const t0 = now();
  const again = await startHost(root);
  await Promise.all(vms.map(({ port }) => waitFor200(port, '/openstack', 10_000)));
  const allAnswerMs = msSince(t0);
  ctx.log(
    `host mode: ready after ${again.readyMs.toFixed(0)} ms, all ${max} VMs answering after ${allAnswerMs.toFixed(0)} ms`,
  );
  await stopChild(again.child);
  return { totals, empty, allAnswerMs };
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
  const host = await measureHost(ctx, counts);
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
  const hostMarginal = (lo: number, hi: number) =>
    mb(host.totals.get(hi)!.pssKb - host.totals.get(lo)!.pssKb) / (hi - lo);
  const sidecarMarginal = (lo: number, hi: number) =>
    mb(ours.totals.get(hi)!.pssKb - ours.totals.get(lo)!.pssKb) / (hi - lo);
  rows.push(
    row({
      group: 'footprint',
      name: 'host mode: PSS of the vmmeta host process, no VM loaded',
      value: mb(host.empty.pssKb),
      unit: 'MB',
      peer: { name: 'bare node http (1 running)', value: mb(base.totals.get(counts[0]!)!.pssKb) },
    }),
  );
  for (const count of counts)
    rows.push(
      row({
        group: 'footprint',
        name: `host mode: PSS of the vmmeta host process, ${count} VMs`,
        value: mb(host.totals.get(count)!.pssKb),
        unit: 'MB',
        peer: { name: `${count} vmmeta serve processes`, value: mb(ours.totals.get(count)!.pssKb) },
      }),
    );
  for (let i = 1; i < counts.length; i++) {
    const [lo, hi] = [counts[i - 1]!, counts[i]!];
    rows.push(
      row({
        group: 'footprint',
        name: `host mode: marginal PSS per added VM, ${lo} -> ${hi}`,
        value: hostMarginal(lo, hi),
        unit: 'MB',
        peer: { name: 'per-VM sidecar', value: sidecarMarginal(lo, hi) },
        target: { op: '<=', value: 1, text: '<= 1 MB per VM' },
      }),
    );
  }
  rows.push(
    row({
      group: 'footprint',
      name: `host mode: spawn -> all ${max} VMs answer`,
      value: host.allAnswerMs,
      unit: 'ms',
      peer: { name: 'bare node http, spawn -> first 200', value: median(base.firstAnswer) },
    }),
  );
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
