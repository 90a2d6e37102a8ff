#!/usr/bin/env node
// Runs the compiled tests layer by layer with Node's own runner and ends with one plain summary line
// ("N passed, N failed, N skipped") across all layers. Usage: node test/run.js [layer ...]
// Layers run in order; real-process layers run one file at a time so timing-sensitive tests (QEMU under TCG,
// sidecar load) do not fight over the two cores.
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'test');
const LAYERS = [
  { name: 'unit', concurrency: true },
  { name: 'golden', concurrency: true },
  { name: 'client', concurrency: 2 },
  { name: 'integration', concurrency: 1 },
  { name: 'hostile', concurrency: 1 },
  { name: 'guest', concurrency: 1 },
];

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (entry.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !LAYERS.some((l) => l.name === w));
if (unknown.length) {
  console.error(`unknown test layer: ${unknown.join(', ')} (layers: ${LAYERS.map((l) => l.name).join(', ')})`);
  process.exit(2);
}
const layers = wanted.length ? LAYERS.filter((l) => wanted.includes(l.name)) : LAYERS;
const totals = { passed: 0, failed: 0, skipped: 0 };

for (const layer of layers) {
  const files = testFiles(join(root, layer.name));
  if (!files.length) continue;
  console.log(`\n── ${layer.name} (${files.length} files)`);
  const stream = run({ files, concurrency: layer.concurrency });
  stream.on('test:pass', (e) => {
    if (e.details?.type === 'suite') return;
    if (e.skip || e.todo) totals.skipped++;
    else totals.passed++;
  });
  stream.on('test:fail', (e) => {
    if (e.details?.type === 'suite' && e.details?.error?.failureType !== 'hookFailed' && e.details?.error?.failureType !== 'testCodeFailure') return;
    totals.failed++;
  });
  await new Promise((resolve, reject) => {
    const out = stream.compose(spec);
    out.on('data', (chunk) => process.stdout.write(chunk));
    out.on('end', resolve);
    out.on('error', reject);
  });
}

console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);
