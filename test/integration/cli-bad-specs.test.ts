// The bad-spec corpus (test/fixtures/specs/bad/, cases.json) through the built CLI: `vmmeta validate` and
// `vmmeta create` exit 2 with one "field: reason" line per issue, no stack trace, and no state folder written.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { vmmeta, json, tempRoot, cleanupRoot, FIXTURES, type Run } from '../helpers/cli.js';

interface Case {
  issues: string[];
  generate?: Record<string, number>;
}
const corpus = join(FIXTURES, 'specs', 'bad');
const cases = Object.entries(
  (JSON.parse(readFileSync(join(corpus, 'cases.json'), 'utf8')) as { cases: Record<string, Case> }).cases,
);

const root = tempRoot();
const work = tempRoot('vmbad-');
cpSync(corpus, work, { recursive: true });
for (const [, c] of cases)
  for (const [file, size] of Object.entries(c.generate ?? {})) writeFileSync(join(work, file), Buffer.alloc(size));
after(async () => {
  await cleanupRoot(root);
  await cleanupRoot(work);
});

async function pool<T, R>(items: T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

function checkHuman(name: string, c: Case, r: Run): void {
  assert.equal(r.code, 2, `${name}: exit ${r.code}\n${r.stderr}`);
  assert.equal(r.stdout, '', `${name}: nothing on stdout`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, /^vmmeta: .*(invalid spec \(\d+ problems?\)|cannot read spec)/, name);
  for (const issue of c.issues)
    assert.ok(lines.includes(`  ${issue}`), `${name}: missing line "  ${issue}" in\n${r.stderr}`);
  assert.equal(lines.length, 1 + c.issues.length, `${name}: one line per issue`);
  assert.doesNotMatch(r.stderr, /\n\s+at |this is a bug|Error:/, `${name}: no stack trace`);
}

test(
  `vmmeta validate: every bad spec (${cases.length}) exits 2 with one line per issue`,
  { timeout: 300_000 },
  async () => {
    assert.ok(cases.length >= 30);
    const runs = await pool(cases, 4, ([file]) => vmmeta(['validate', join(work, file)], { root }));
    cases.forEach(([file, c], i) => checkHuman(file, c, runs[i]!));
  },
);

test('vmmeta create: every bad spec exits 2 and writes nothing', { timeout: 300_000 }, async () => {
  const runs = await pool(cases, 4, ([file]) => vmmeta(['create', join(work, file)], { root }));
  cases.forEach(([file, c], i) => checkHuman(file, c, runs[i]!));
  assert.deepEqual(readdirSync(root), [], 'no state folder, no staging folder');
});

test('--json: the error document carries the same issues', async () => {
  const [file, c] = cases[0]!;
  const r = await vmmeta(['validate', '--json', join(work, file)], { root });
  assert.equal(r.code, 2);
  const doc = json<{ ok: boolean; error: { code: number; details: string[]; message: string } }>(r);
  assert.equal(doc.ok, false);
  assert.equal(doc.error.code, 2);
  assert.deepEqual(doc.error.details, c.issues);
  assert.equal(r.stderr, '');
});
