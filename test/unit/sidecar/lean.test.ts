// The sidecar runs once per VM, so its entry must load nothing but node built-ins and its own small modules:
// no commander, zod, chalk, yaml or execa (STYLE.md §7). This walks the compiled import graph of bin/vmmeta.js's
// serve route and fails on any bare package import or any module outside src/sidecar/,
// src/errors.js, src/render/tree.js and the lean state files (node built-ins only).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const distSrc = fileURLToPath(new URL('../../../src/', import.meta.url));

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm),
  ].map((m) => (m[1] ?? m[2])!);
}

const LEAN = new Set([
  'errors.js',
  join('render', 'tree.js'),
  join('state', 'atomic.js'),
  join('state', 'layout.js'),
  join('state', 'secure-dir.js'),
  join('state', 'secrets.js'),
  join('spec', 'listen.js'),
]);

function leanProblems(entry: string): { bad: string[]; walked: number } {
  const seen = new Set<string>();
  const queue = [join(distSrc, 'sidecar', entry)];
  const bad: string[] = [];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of imports(file)) {
      if (spec.startsWith('node:')) continue;
      if (!spec.startsWith('.')) {
        bad.push(`${relative(distSrc, file)} imports package ${spec}`);
        continue;
      }
      const target = join(dirname(file), spec);
      const rel = relative(distSrc, target);
      if (!rel.startsWith('sidecar/') && !LEAN.has(rel)) bad.push(`${relative(distSrc, file)} imports ${rel}`);
      queue.push(target);
    }
  }
  return { bad, walked: seen.size };
}

// The host process serves many VMs for as long as the machine runs: the same rule keeps its footprint small.
for (const [command, entry] of [
  ['serve', 'main.js'],
  ['host', 'host-main.js'],
] as const) {
  test(`vmmeta ${command} loads only node:* and src/sidecar/* (+ errors.js, render/tree.js, lean state/ files)`, () => {
    const { bad, walked } = leanProblems(entry);
    assert.deepEqual(bad, []);
    assert.ok(walked >= 8, `walked ${walked} modules`);
  });
}

// What bin/vmmeta.js actually loads after `npm run build`: the bundled entries. esbuild marks every module it
// inlines with a `// <path>` comment, so a package pulled into the serve or host bundle shows as node_modules/.
const distBundle = fileURLToPath(new URL('../../../bundle/', import.meta.url));

function bundleGraph(entry: string): { files: string[]; text: string } {
  const seen = new Set<string>();
  const queue = [join(distBundle, entry)];
  let text = '';
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const body = readFileSync(file, 'utf8');
    text += body;
    // esbuild writes its own imports as "./x.js" or "../chunks/x.js", static or import().
    for (const m of body.matchAll(/(?:from\s*|import\(\s*)"(\.\.?\/[^"]+\.js)"/g))
      queue.push(join(dirname(file), m[1]!));
  }
  return { files: [...seen], text };
}

for (const entry of ['sidecar/main.js', 'sidecar/host-main.js'])
  test(`the bundled ${entry} inlines no package and imports only node:* and its own chunks`, () => {
    const { files, text } = bundleGraph(entry);
    assert.deepEqual(
      files.filter((f) => relative(distBundle, f).startsWith('..')),
      [],
    );
    assert.deepEqual([...new Set(text.match(/^\/\/ node_modules\/[^/]+/gm) ?? [])], []);
    const bare = [...text.matchAll(/^import\s[^'"]*?from\s*['"]([^'".][^'"]*)['"]/gm)].map((m) => m[1]!);
    assert.deepEqual(
      bare.filter((s) => !s.startsWith('node:')),
      [],
    );
    assert.match(text, /\/\/ (dist\/)?src\/sidecar\/server\.js/, 'the bundle holds the sidecar');
  });

test('the bundled CLI holds the packages the sidecar must not load, so the check above can fail', () => {
  const { text } = bundleGraph('cli/main.js');
  assert.match(text, /^\/\/ node_modules\/commander\//m);
});
