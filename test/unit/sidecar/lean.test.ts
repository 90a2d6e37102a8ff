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
