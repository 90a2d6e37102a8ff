// The peer for create and render: Debian's cloud-localds (cloud-image-utils) building a NoCloud seed ISO from
// the same user-data, meta-data, network-config and vendor-data that vmmeta renders for the example.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './lib/context.js';
import type { SpecModules } from './lib/modules.js';
import { examplePath } from './lib/vmmeta.js';
import { median, now, msSince } from './lib/stats.js';

export interface SeedPeer {
  example: string;
  files: string; // folder holding the NoCloud files
  cloudLocaldsMs: number;
  runs: number;
}

export async function measureCloudLocalds(ctx: BenchContext, mods: SpecModules, example: string): Promise<SeedPeer> {
  const { vm } = await mods.loadSpecFile(examplePath(example));
  const tree = mods.renderNoCloud(vm);
  const dir = join(ctx.scratch, `seed-${example}`);
  mkdirSync(dir, { recursive: true });
  for (const [path, bytes] of tree) writeFileSync(join(dir, path), bytes);
  const args = ['-f', 'iso'];
  if (tree.has('network-config')) args.push('-N', join(dir, 'network-config'));
  if (tree.has('vendor-data')) args.push('-V', join(dir, 'vendor-data'));
  args.push(join(dir, 'seed.iso'), join(dir, 'user-data'), join(dir, 'meta-data'));
  if (!tree.has('user-data')) writeFileSync(join(dir, 'user-data'), '');
  const runs = ctx.quick ? 3 : 15;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    execFileSync('cloud-localds', args, { stdio: 'ignore' });
    times.push(msSince(t0));
  }
  return { example, files: dir, cloudLocaldsMs: median(times), runs };
}
