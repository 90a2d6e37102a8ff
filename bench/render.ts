// Rendering alone: in process (parse + render every tree, and the ISO build by itself) and through the CLI
// (`vmmeta render --format all`, which pays Node's start-up and module loading like any command).
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './lib/context.js';
import type { SpecModules } from './lib/modules.js';
import { row, type Row } from './lib/report.js';
import { median, now, msSince } from './lib/stats.js';
import { examplePath, runCliOk } from './lib/vmmeta.js';
import type { SeedPeer } from './seed.js';

function timeLoop(iterations: number, fn: () => void): number {
  for (let i = 0; i < Math.min(50, iterations); i++) fn(); // warm the JIT first
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = now();
    fn();
    times.push(msSince(t0));
  }
  return median(times);
}

export async function benchRender(
  ctx: BenchContext,
  mods: SpecModules,
  example: string,
  peer: SeedPeer | undefined,
): Promise<Row[]> {
  const file = examplePath(example);
  const text = readFileSync(file, 'utf8');
  const { vm } = await mods.loadSpecFile(file);
  const n = ctx.quick ? 100 : 1000;
  const parseMs = timeLoop(n, () => {
    if (!mods.parseSpecText(text, file).ok) throw new Error(`${example} does not parse`);
  });
  const renderMs = timeLoop(n, () => {
    mods.renderHttpTree(vm);
    mods.renderNoCloud(vm);
  });
  const rows: Row[] = [
    row({ group: 'render', name: `parseSpecText in process (${example})`, value: parseMs, unit: 'ms', runs: n }),
    row({
      group: 'render',
      name: `renderHttpTree+renderNoCloud in process (${example})`,
      value: renderMs,
      unit: 'ms',
      runs: n,
    }),
  ];

  if (mods.buildIso) {
    const tree = mods.renderNoCloud(vm);
    const out = join(ctx.scratch, `iso-${example}.iso`);
    const isoTimes: number[] = [];
    for (let i = 0; i < (ctx.quick ? 3 : 15); i++) {
      const t0 = now();
      await mods.buildIso(tree, { volumeId: 'cidata', out });
      isoTimes.push(msSince(t0));
    }
    rows.push(
      row({
        group: 'render',
        name: `buildIso cidata in process (${example})`,
        value: median(isoTimes),
        unit: 'ms',
        runs: isoTimes.length,
        ...(peer ? { peer: { name: 'cloud-localds', value: peer.cloudLocaldsMs } } : {}),
      }),
    );
  }

  return rows;
}

export async function benchRenderCli(ctx: BenchContext, example: string, peer: SeedPeer | undefined): Promise<Row[]> {
  const file = examplePath(example);
  const rows: Row[] = [];
  const cliTimes: number[] = [];
  const outDir = join(ctx.scratch, `render-${example}`);
  for (let i = 0; i < (ctx.quick ? 3 : 11); i++) {
    rmSync(outDir, { recursive: true, force: true });
    cliTimes.push(
      (
        await runCliOk(['render', file, '--out', outDir, '--format', 'all'], {
          stateDir: join(ctx.scratch, 'unused-state'),
        })
      ).ms,
    );
  }
  rows.push(
    row({
      group: 'render',
      name: `vmmeta render --format all (${example}, CLI)`,
      value: median(cliTimes),
      unit: 'ms',
      runs: cliTimes.length,
      ...(peer ? { peer: { name: 'cloud-localds', value: peer.cloudLocaldsMs } } : {}),
    }),
  );
  return rows;
}
