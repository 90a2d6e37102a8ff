// In-process fuzzing of parseSpecText: thousands of hostile texts derived from the example specs. The parser's
// contract (docs/internals.md) is "never throws": every input gives either a spec or issues, each a non-empty
// `path: message` line with no stack trace in it. Valid results must also normalize and render without throwing,
// since create does exactly that next. Failing inputs are saved under test-artifacts/fuzz/ to replay.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mutate, mutatorFor, rng } from './spec-mutate.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const EXAMPLES = join(REPO, 'templates', 'examples');
const CASES = Number(process.env.VMMETA_FUZZ_CASES ?? 5000);
const SEED = Number(process.env.VMMETA_FUZZ_SEED ?? 0x5eed);
const SLOW_MS = 5000; // generous: a loaded CI core; the slowest case is printed

type Issue = { path: string; message: string };
type Parse = (text: string, source: string) => { ok: true; spec: unknown } | { ok: false; issues: Issue[] };

// A module that moved or was renamed fails the import here: the fuzz must never quietly skip.
async function load(rel: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(join(REPO, 'dist', 'src', rel)).href)) as Record<string, unknown>;
}

const parseMod = await load('spec/parse.js');
const normalizeMod = await load('spec/normalize.js');
const httpMod = await load('render/http.js');
const nocloudMod = await load('render/nocloud.js');

test('parseSpecText never throws on hostile YAML and always explains itself', { timeout: 600_000 }, () => {
  const parse = parseMod!.parseSpecText as Parse;
  const normalize = normalizeMod?.normalizeSpec as ((spec: unknown, ctx: unknown) => unknown) | undefined;
  const renders = [httpMod?.renderHttpTree, nocloudMod?.renderNoCloud].filter(
    (f): f is (vm: unknown) => unknown => typeof f === 'function',
  );
  const seeds = readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => readFileSync(join(EXAMPLES, f), 'utf8'));
  assert.ok(seeds.length >= 3, `expected the example specs in ${EXAMPLES}`);
  for (const s of seeds) assert.equal(parse(s, 'example.yaml').ok, true, 'every unmutated example parses');

  const failures: string[] = [];
  const counts = { ok: 0, invalid: 0, rendered: 0 };
  let slowest = 0;
  const r = rng(SEED);
  for (let i = 0; i < CASES; i++) {
    const kind = mutatorFor(i);
    const text = mutate(r, seeds, kind);
    const t0 = performance.now();
    let problem: string | undefined;
    try {
      const res = parse(text, 'fuzz.yaml');
      if (res.ok) {
        counts.ok++;
        if (normalize) {
          const vm = normalize(res.spec, {
            ids: { uuid: '0b6f1c3e-8a4d-4f2b-9e7a-1c2d3e4f5a6b', randomSeed: Buffer.alloc(512, 7).toString('base64') },
          });
          for (const render of renders) render(vm);
          counts.rendered++;
        }
      } else {
        counts.invalid++;
        if (!Array.isArray(res.issues) || res.issues.length === 0) problem = 'ok: false with no issues';
        for (const issue of res.issues ?? []) {
          const line = issue.path ? `${issue.path}: ${issue.message}` : issue.message;
          if (typeof issue.path !== 'string' || typeof issue.message !== 'string' || !issue.message.trim())
            problem = `empty or malformed issue ${JSON.stringify(issue)}`;
          else if (/\n\s+at .+:\d+:\d+/.test(line) || /\[object Object\]|undefined: /.test(line))
            problem = `issue leaks internals: ${line.slice(0, 200)}`;
        }
      }
    } catch (err) {
      problem = `threw ${(err as Error)?.stack?.split('\n').slice(0, 3).join(' | ') ?? String(err)}`;
    }
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    if (!problem && ms > SLOW_MS) problem = `took ${ms.toFixed(0)} ms`;
    if (problem) {
      const dir = join(REPO, 'test-artifacts', 'fuzz');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `spec-${SEED}-${i}-${kind}.yaml`), text);
      failures.push(`case ${i} (${kind}, seed ${SEED}): ${problem}`);
    }
  }
  console.log(
    `# ${CASES} cases: ${counts.ok} valid (${counts.rendered} rendered), ${counts.invalid} invalid; slowest ${slowest.toFixed(0)} ms`,
  );
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${CASES} cases failed`);
  assert.ok(counts.ok > 0 && counts.invalid > 0, 'the mutations should produce both valid and invalid specs');
});
