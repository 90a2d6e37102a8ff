// The spec fuzzer one level up: mutated spec files through the real CLI (`validate`, `create --no-start`).
// Whatever the file holds, the exit code is 0 or 2 (docs: 2 = invalid input), stderr never shows a stack
// trace, and an invalid spec leaves no trace in the state root (no <vm> folder, no half-built temp folder).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mutate, rng, type Mutator } from './spec-mutate.js';
import { EXAMPLES, killServes, stackTrace, tempDir, vmmeta } from './fault-kit.js';

const RUNS = Number(process.env.VMMETA_CLI_FUZZ_RUNS ?? 40);
const SEED = Number(process.env.VMMETA_FUZZ_SEED ?? 0xc11);
const KINDS: Mutator[] = ['bytes', 'truncate', 'lines', 'structural', 'unicode', 'splice', 'alias'];

test(
  'validate and create --no-start on mutated specs: exit 0 or 2, no stack, no partial state',
  { timeout: 300_000 },
  async () => {
    const seeds = readdirSync(EXAMPLES)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => readFileSync(join(EXAMPLES, f), 'utf8'));
    const work = tempDir('cli-fuzz');
    const r = rng(SEED);
    const failures: string[] = [];
    const codes: Record<string, number> = {};
    try {
      const cases = Array.from({ length: RUNS }, (_, i) => {
        // Every fifth case is an unmutated example, so the success path is exercised as well.
        const kind = i % 5 === 4 ? 'none' : KINDS[i % KINDS.length]!;
        const text = kind === 'none' ? seeds[i % seeds.length]! : mutate(r, seeds, kind as Mutator);
        return { i, kind, text, verb: i % 2 === 0 ? 'validate' : 'create' };
      });
      for (let at = 0; at < cases.length; at += 2) {
        await Promise.all(
          cases.slice(at, at + 2).map(async (c) => {
            const dir = join(work, `case-${c.i}`);
            const root = join(dir, 'state');
            const file = join(dir, 'spec.yaml');
            rmSync(dir, { recursive: true, force: true });
            mkdirSync(root, { recursive: true });
            writeFileSync(file, c.text);
            const args = c.verb === 'validate' ? ['validate', file] : ['create', file, '--no-start', '--json'];
            const res = await vmmeta(args, { root });
            codes[`${c.verb} ${res.code}`] = (codes[`${c.verb} ${res.code}`] ?? 0) + 1;
            const label = `case ${c.i} (${c.kind}, ${c.verb}, seed ${SEED})`;
            if (res.code !== 0 && res.code !== 2)
              failures.push(`${label}: exit ${res.code}: ${res.stderr.trim().split('\n')[0]}`);
            const frame = stackTrace(res.stderr);
            if (frame) failures.push(`${label}: stack trace on stderr: ${frame.trim()}`);
            if (res.code !== 0 && c.verb === 'create') {
              // Under --json the error is a document on stdout (docs: {"ok":false,"error":{…}}), not text on stderr.
              const doc = safeJson(res.stdout) as
                { ok?: boolean; error?: { code?: number; message?: string } } | undefined;
              if (doc?.ok !== false || doc.error?.code !== res.code || !doc.error?.message?.trim())
                failures.push(`${label}: exit ${res.code} without a JSON error document: ${res.stdout.slice(0, 200)}`);
            } else if (res.code !== 0 && !res.stderr.trim())
              failures.push(`${label}: exit ${res.code} with nothing on stderr`);
            const left = readdirSync(root);
            if (res.code !== 0 || c.verb === 'validate') {
              if (left.length) failures.push(`${label}: exit ${res.code} left ${left.join(', ')} in the state root`);
            } else {
              const dirs = left.filter((n) => statSync(join(root, n)).isDirectory());
              if (dirs.length !== 1 || dirs[0]!.includes('.tmp'))
                failures.push(`${label}: create left ${dirs.join(', ')} (expected one VM folder)`);
            }
            killServes(root);
          }),
        );
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    console.log(`# ${RUNS} CLI runs: ${JSON.stringify(codes)}`);
    assert.deepEqual(failures, []);
    assert.ok((codes['validate 2'] ?? 0) + (codes['create 2'] ?? 0) > 0, 'some mutated specs must be refused');
    assert.ok((codes['validate 0'] ?? 0) + (codes['create 0'] ?? 0) > 0, 'the unmutated examples must be accepted');
  },
);

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
