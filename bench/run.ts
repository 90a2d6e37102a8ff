// `npm run bench [-- --quick] [-- --only create,load]`: runs every benchmark in turn, prints one table (stdout)
// and writes test-artifacts/bench-results.json. Every benchmark is bounded in count and time, talks only to
// 127.0.0.1 and ends its processes and state folders even when it fails or the run is interrupted.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from './lib/context.js';
import { cleanupAll } from './lib/proc.js';
import { formatTable, type Row } from './lib/report.js';
import { specModules } from './lib/modules.js';
import { REPO, cliAvailable } from './lib/vmmeta.js';
import { measureCloudLocalds, type SeedPeer } from './seed.js';
import { benchCreate } from './create.js';
import { benchRender, benchRenderCli } from './render.js';
import { benchLoad } from './load.js';
import { benchCrawl } from './crawl.js';
import { benchFootprint } from './footprint.js';
import { benchScale } from './scale.js';
import { benchStartup } from './startup.js';

const EXAMPLES = ['minimal', 'three-nic'];
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only'));
const only = onlyArg
  ? (onlyArg.includes('=') ? onlyArg.split('=')[1]! : (argv[argv.indexOf(onlyArg) + 1] ?? '')).split(',')
  : undefined;

const scratch = mkdtempSync(join(tmpdir(), 'vmmeta-bench-'));
const ctx: BenchContext = { quick, scratch, log: (m) => process.stderr.write(`[bench] ${m}\n`) };

async function shutdown(code: number): Promise<never> {
  await cleanupAll();
  rmSync(scratch, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

// Figures taken while other work runs on the host (a test suite, a build) are not comparable: say so loudly.
const loadBefore = loadavg()[0]!;
if (loadBefore > cpus().length * 0.5)
  ctx.log(
    `WARNING: 1-minute load average is ${loadBefore.toFixed(2)} on ${cpus().length} CPUs; figures will be inflated`,
  );

const rows: Row[] = [];
const errors: Array<{ bench: string; error: string }> = [];
const skipped: Array<{ bench: string; reason: string }> = [];

let cliOk: boolean | undefined;
async function step(name: string, needsCli: boolean, fn: () => Promise<Row[]>): Promise<void> {
  if (only && !only.includes(name.split(':')[0]!)) return;
  if (needsCli && !(cliOk ??= cliAvailable())) {
    skipped.push({ bench: name, reason: 'vmmeta CLI not built or not starting yet (node bin/vmmeta.js --help fails)' });
    return;
  }
  ctx.log(`running ${name}${quick ? ' (quick)' : ''}`);
  try {
    rows.push(...(await fn()));
  } catch (err) {
    errors.push({ bench: name, error: (err as Error).message });
    ctx.log(`${name} FAILED: ${(err as Error).message}`);
  } finally {
    await cleanupAll();
  }
}

try {
  const mods = await specModules();
  const peers = new Map<string, SeedPeer>();
  if (typeof mods === 'string') skipped.push({ bench: 'seed/render', reason: mods });
  else {
    for (const ex of EXAMPLES)
      await step(`create:seed-${ex}`, false, async () => (peers.set(ex, await measureCloudLocalds(ctx, mods, ex)), []));
    for (const ex of EXAMPLES) await step(`render:${ex}`, false, () => benchRender(ctx, mods, ex, peers.get(ex)));
  }
  await step('startup', true, () => benchStartup(ctx));
  for (const ex of EXAMPLES) await step(`render:cli-${ex}`, true, () => benchRenderCli(ctx, ex, peers.get(ex)));
  for (const ex of EXAMPLES) await step(`create:${ex}`, true, () => benchCreate(ctx, ex, peers.get(ex)));
  await step('create:minimal-host', true, () => benchCreate(ctx, 'minimal', peers.get('minimal'), 'host'));
  await step('load', true, () => benchLoad(ctx));
  await step('load:host', true, () => benchLoad(ctx, 'host'));
  await step('crawl', true, () => benchCrawl(ctx));
  await step('footprint', true, () => benchFootprint(ctx));
  await step('scale', true, () => benchScale(ctx));
} finally {
  await cleanupAll();
  rmSync(scratch, { recursive: true, force: true });
}

console.log(formatTable(rows));
console.log(
  `\nload average (1 min): ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after, on ${cpus().length} CPUs`,
);
for (const r of rows.filter((r) => r.note)) console.log(`note: ${r.group}: ${r.name}: ${r.note}`);
for (const s of skipped) console.log(`skipped: ${s.bench}: ${s.reason}`);
for (const e of errors) console.log(`FAILED: ${e.bench}: ${e.error}`);
const out = join(REPO, 'test-artifacts', 'bench-results.json');
mkdirSync(join(REPO, 'test-artifacts'), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      quick,
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadavgBefore: loadBefore,
      loadavgAfter: loadavg()[0],
      rows,
      skipped,
      errors,
    },
    null,
    2,
  ) + '\n',
);
console.log(`\nwrote ${out}`);
process.exit(errors.length ? 1 : 0);
