// Where a short command's time goes: bare Node start-up, loading the sidecar's modules (`serve --help` exits
// after parsing its arguments), loading the whole CLI (`--version`), and a complete `validate`. The difference
// between rows is module loading and work, since every row pays the same Node start-up.
import { spawnSync } from 'node:child_process';
import type { BenchContext } from './lib/context.js';
import { row, type Row } from './lib/report.js';
import { median, now, msSince } from './lib/stats.js';
import { BIN, examplePath } from './lib/vmmeta.js';

function timeProcess(args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore', timeout: 20_000 });
    times.push(msSince(t0));
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  }
  return median(times);
}

export async function benchStartup(ctx: BenchContext): Promise<Row[]> {
  const runs = ctx.quick ? 5 : 21;
  const bare = timeProcess(['-e', '0'], runs);
  const cases: Array<[string, string[]]> = [
    ['node bin/vmmeta.js serve --help (sidecar modules)', [BIN, 'serve', '--help']],
    ['node bin/vmmeta.js --help (whole CLI loaded)', [BIN, '--help']],
    ['node bin/vmmeta.js validate minimal.yaml', [BIN, 'validate', examplePath('minimal')]],
  ];
  return [
    row({ group: 'startup', name: 'node -e 0 (bare Node start-up)', value: bare, unit: 'ms', runs }),
    ...cases.map(([name, args]) =>
      row({
        group: 'startup',
        name,
        value: timeProcess(args, runs),
        unit: 'ms',
        runs,
        peer: { name: 'bare node', value: bare },
      }),
    ),
  ];
}
