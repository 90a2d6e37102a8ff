// A boot storm: N VMs created by 8 parallel workers with `vmmeta create`, each with its own name and uuid.
// Afterwards every sidecar must answer, on a port of its own, with its own VM's uuid and nobody else's.
import type { BenchContext } from './lib/context.js';
import { row, type Row } from './lib/report.js';
import { median, now, msSince, percentile } from './lib/stats.js';
import { httpGet } from './lib/http.js';
import { alive, trackPid } from './lib/proc.js';
import { examplePath, newUuid, readSidecar, runCli, runCliOk, tempStateRoot, writeVariant } from './lib/vmmeta.js';

// After the first failure no new item starts, but every running one finishes before the error is thrown, so the
// clean-up never races a create that is still writing into the state root.
async function pool<T>(items: T[], workers: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < items.length && failure === undefined) {
        try {
          await fn(items[next++]!);
        } catch (err) {
          failure ??= err;
        }
      }
    }),
  );
  if (failure !== undefined) throw failure;
}

export async function benchScale(ctx: BenchContext): Promise<Row[]> {
  const count = ctx.quick ? 16 : 100;
  const workers = 8;
  const root = tempStateRoot('scale');
  const vms = Array.from({ length: count }, (_, i) => {
    const uuid = newUuid();
    const name = `bench-scale-${i}`;
    return { name, uuid, spec: writeVariant(examplePath('minimal'), ctx.scratch, { name, uuid }) };
  });
  const each: number[] = [];
  const t0 = now();
  await pool(vms, workers, async (vm) => {
    const r = await runCliOk(['create', vm.spec, '--json'], { stateDir: root, timeoutMs: 60_000 });
    each.push(r.ms);
    const side = readSidecar(root, vm.name);
    if (side) trackPid(side.pid);
  });
  const totalMs = msSince(t0);

  const ports = new Set<number>();
  let listening = 0;
  let healthy = 0;
  const problems: string[] = [];
  for (const vm of vms) {
    const side = readSidecar(root, vm.name);
    if (!side?.port || !alive(side.pid)) {
      problems.push(`${vm.name}: no live sidecar`);
      continue;
    }
    ports.add(side.port);
    listening++;
    const md = await httpGet(side.port, '/openstack/latest/meta_data.json');
    const iid = await httpGet(side.port, '/latest/meta-data/instance-id');
    const got = md.status === 200 ? (JSON.parse(md.body) as { uuid?: string }).uuid : undefined;
    if (got !== vm.uuid || iid.body.trim() !== vm.uuid)
      problems.push(`${vm.name}: answered uuid ${got} / instance-id ${iid.body.trim()}, expected ${vm.uuid}`);
    else healthy++;
  }
  if (ports.size !== listening) problems.push(`ports not distinct: ${listening} sidecars share ${ports.size} ports`);

  const d0 = now();
  await pool(vms, workers, async (vm) => {
    const pid = readSidecar(root, vm.name)?.pid;
    const del = await runCli(['delete', vm.name], { stateDir: root });
    if (del.code !== 0) problems.push(`${vm.name}: delete exited ${del.code}: ${del.stderr.trim().split('\n')[0]}`);
    if (pid && alive(pid)) problems.push(`${vm.name}: sidecar ${pid} still alive after delete`);
  });
  const deleteMs = msSince(d0);
  ctx.log(`scale: ${count} creates in ${totalMs.toFixed(0)} ms, ${healthy} healthy, ${problems.length} problems`);
  for (const p of problems.slice(0, 10)) ctx.log(`  ${p}`);
  const note = problems.length
    ? `${problems.length} problems: ${problems.slice(0, 3).join('; ')}`
    : `all ${count} answered with their own uuid on distinct ports`;
  return [
    row({
      group: 'scale',
      name: `${count} VMs created by ${workers} workers, total`,
      value: totalMs / 1000,
      unit: 's',
      note,
    }),
    row({
      group: 'scale',
      name: `create under ${workers}-way contention, median / p95`,
      value: median(each),
      unit: 'ms',
      runs: count,
      note: `p95 ${percentile(each, 95).toFixed(0)} ms`,
    }),
    row({
      group: 'scale',
      name: 'sidecars healthy, answering only for their own VM',
      value: healthy,
      unit: `of ${count}`,
    }),
    row({
      group: 'scale',
      name: `${count} VMs deleted by ${workers} workers, total`,
      value: deleteMs / 1000,
      unit: 's',
    }),
  ];
}
