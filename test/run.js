#!/usr/bin/env node
// Runs the compiled tests layer by layer with Node's own runner and ends with one plain summary line
// ("N passed, N failed, N skipped") across all layers. Usage: node test/run.js [layer ...]
// Layers run in order; real-process layers run one file at a time so timing-sensitive tests (QEMU under TCG,
// sidecar load) do not fight over the two cores.
import { run } from 'node:test';
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { spec } from 'node:test/reporters';
import {
  readdirSync,
  statSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  chmodSync,
  rmSync,
  writeFileSync,
  readFileSync,
} from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(repo, 'dist', 'test');
// Slow steps inside the tests (image builds, package downloads, boots) append here; see test/helpers/timings.ts.
const timingsFile = join(repo, 'test-artifacts', 'timings.ndjson');
mkdirSync(dirname(timingsFile), { recursive: true });
writeFileSync(timingsFile, '');
process.env.VMMETA_TEST_TIMINGS = timingsFile;
// Every test file's scratch folders (mkdtemp under os.tmpdir()) land in one folder for this run, removed at the
// end, so a run leaves nothing in /tmp whatever a test forgets. Sticky and world-writable like /tmp itself: the
// shared-host tests act as other users and QEMU under libvirt runs as libvirt-qemu. The name is short because
// Unix socket paths under it are capped at 107 bytes. VMMETA_KEEP_TMP=1 keeps it for a post-mortem.
const runTmp = mkdtempSync(join(process.env.TMPDIR || '/tmp', 'vt-'));
chmodSync(runTmp, 0o1777);
process.env.TMPDIR = runTmp;
process.on('exit', () => {
  if (process.env.VMMETA_KEEP_TMP === '1') console.log(`(scratch folders kept in ${runTmp})`);
  else rmSync(runTmp, { recursive: true, force: true });
});
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
// Image builds for the guest layer start now, niced, in the background (test/guest/lib/prefetch.ts), in the order
// the guest files first boot them. VMMETA_GUEST_PREFETCH=0 turns it off.
const suitesOf = (name, fallback) =>
  (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim().split(':')[0])
    .filter(Boolean);
let prefetch;
if (layers.some((l) => l.name === 'guest') && process.env.VMMETA_GUEST_PREFETCH !== '0') {
  const suites = [
    ...new Set([
      ...suitesOf('VMMETA_BRIDGE_SUITES', 'bookworm'),
      ...suitesOf('VMMETA_GUEST_SUITES', 'bookworm'),
      ...suitesOf('VMMETA_HOTPLUG_SUITES', 'bookworm'),
    ]),
  ];
  const log = join(repo, 'test-artifacts', 'prefetch.log');
  const out = openSync(log, 'w');
  prefetch = spawn('nice', ['-n', '19', process.execPath, join(root, 'guest', 'lib', 'prefetch.js'), ...suites], {
    stdio: ['ignore', out, out],
    detached: true,
  });
  prefetch.on('error', () => {});
  console.log(`(building guest images ${suites.join(', ')} in the background; log in ${relative(repo, log)})`);
}
// Its own process group (detached), so debootstrap and dpkg under it go too, on exit or on ^C / SIGTERM.
const stopPrefetch = () => {
  if (prefetch && prefetch.exitCode === null)
    try {
      process.kill(-prefetch.pid, 'SIGTERM');
    } catch {}
};
process.on('exit', stopPrefetch);
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    stopPrefetch();
    process.exit(130);
  });
const totals = { passed: 0, failed: 0, skipped: 0 };
const skips = [];
const layerSeconds = [];
const fileSeconds = new Map();
const started = Date.now();

for (const layer of layers) {
  const files = testFiles(join(root, layer.name));
  if (!files.length) continue;
  console.log(`\n── ${layer.name} (${files.length} files)`);
  const layerStarted = Date.now();
  const stream = run({ files, concurrency: layer.concurrency });
  const countFile = (e) => {
    if (e.nesting !== 0 || !e.file) return;
    fileSeconds.set(e.file, (fileSeconds.get(e.file) ?? 0) + (e.details?.duration_ms ?? 0) / 1000);
  };
  stream.on('test:pass', countFile);
  stream.on('test:fail', countFile);
  stream.on('test:pass', (e) => {
    if (e.details?.type === 'suite') return;
    if (e.skip || e.todo) {
      totals.skipped++;
      skips.push(`${relative(root, e.file ?? '?')}: ${e.name} (${typeof e.skip === 'string' ? e.skip : 'skipped'})`);
    } else totals.passed++;
  });
  stream.on('test:fail', (e) => {
    if (
      e.details?.type === 'suite' &&
      e.details?.error?.failureType !== 'hookFailed' &&
      e.details?.error?.failureType !== 'testCodeFailure'
    )
      return;
    totals.failed++;
  });
  await new Promise((resolve, reject) => {
    const out = stream.compose(spec);
    out.on('data', (chunk) => process.stdout.write(chunk));
    out.on('end', resolve);
    out.on('error', reject);
  });
  layerSeconds.push([layer.name, (Date.now() - layerStarted) / 1000]);
}

// Where the time went, so a cold run can be budgeted: layers, the slowest files, and the slow steps inside them.
const fmt = (s) => (s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`);
console.log('\n── time');
for (const [name, s] of layerSeconds) console.log(`  layer ${name.padEnd(12)} ${fmt(s)}`);
const slowest = [...fileSeconds].sort((a, b) => b[1] - a[1]).slice(0, 8);
for (const [file, s] of slowest) console.log(`  file  ${relative(root, file).padEnd(48)} ${fmt(s)}`);
const steps = readFileSync(timingsFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const byKind = new Map();
for (const t of steps) {
  const k = byKind.get(t.kind) ?? { count: 0, seconds: 0, items: [] };
  k.count++;
  k.seconds += t.seconds;
  k.items.push(`${t.name} ${fmt(t.seconds)}`);
  byKind.set(t.kind, k);
}
for (const [kind, k] of byKind) {
  const items = kind === 'boot' ? '' : `: ${k.items.join(', ')}`;
  console.log(`  step  ${kind.padEnd(16)} ${String(k.count).padStart(3)} × = ${fmt(k.seconds)}${items}`);
}
console.log(`  total ${fmt((Date.now() - started) / 1000)} (steps listed in ${relative(repo, timingsFile)})`);

// A test skips when a tool it needs is missing. On a developer's laptop that is a convenience; in CI
// (VMMETA_TEST_NO_SKIP=1, set by .ci/run) it would hide a package that only this machine had installed by hand.
const noSkip = process.env.VMMETA_TEST_NO_SKIP === '1';
if (skips.length) {
  console.log(`\n── skipped${noSkip ? ' (VMMETA_TEST_NO_SKIP=1: each counts as a failure)' : ''}`);
  for (const s of skips) console.log(`  ${s}`);
}
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 || totals.passed === 0 || (noSkip && totals.skipped > 0) ? 1 : 0);
