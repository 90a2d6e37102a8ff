// Golden files: every example spec (templates/examples/<case>.yaml, or test/golden/<case>/spec.yaml for extra
// cases) rendered in every format with fixed ids, compared path by path and byte by byte with
// test/golden/<case>/expected/<format>/. The whole HTTP tree is pinned too, as one index of path, size and
// SHA-256 (expected/http-index.txt), with every listing's body spelled out. UPDATE_GOLDEN=1 rewrites the expected
// files; review the diff like code.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '../../src/spec/load.js';
import { FORMATS } from '../../src/render/formats.js';
import { renderHttpTree } from '../../src/render/http.js';
import type { FileTree } from '../../src/render/tree.js';
import { FIXED_SEED, FIXED_UUID } from '../helpers/vm-fixtures.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const GOLDEN = join(REPO, 'test', 'golden');
const EXAMPLES = join(REPO, 'templates', 'examples');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function cases(): { name: string; spec: string }[] {
  const out = new Map<string, string>();
  for (const f of readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.yaml'))
    .sort())
    out.set(f.replace(/\.yaml$/, ''), join(EXAMPLES, f));
  for (const d of readdirSync(GOLDEN)) {
    const spec = join(GOLDEN, d, 'spec.yaml');
    if (existsSync(spec)) out.set(d, spec);
  }
  return [...out].map(([name, spec]) => ({ name, spec }));
}

function readDir(dir: string): FileTree {
  const tree: FileTree = new Map();
  if (!existsSync(dir)) return tree;
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else tree.set(relative(dir, p).split('\\').join('/'), new Uint8Array(readFileSync(p)));
    }
  };
  walk(dir);
  return tree;
}

function writeDir(dir: string, tree: FileTree): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [path, bytes] of tree) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
}

// One line per served path; listings (keys ending in /) also show their body, indented.
function httpIndex(tree: FileTree): string {
  const lines: string[] = [];
  for (const [path, bytes] of tree) {
    lines.push(`${path} ${bytes.length} ${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`);
    if (path.endsWith('/')) for (const l of new TextDecoder().decode(bytes).split('\n')) lines.push(`    ${l}`);
  }
  return lines.join('\n') + '\n';
}

function compareTrees(actual: FileTree, expected: FileTree, label: string): void {
  assert.deepEqual([...actual.keys()], [...expected.keys()], `${label}: paths differ (UPDATE_GOLDEN=1 to rewrite)`);
  for (const [path, bytes] of actual) {
    const want = expected.get(path)!;
    if (Buffer.compare(Buffer.from(bytes), Buffer.from(want)) !== 0) {
      assert.equal(
        new TextDecoder().decode(bytes),
        new TextDecoder().decode(want),
        `${label}/${path} differs (UPDATE_GOLDEN=1 to rewrite)`,
      );
      assert.fail(`${label}/${path}: bytes differ`);
    }
  }
}

test('every example spec has a golden case', () => {
  const names = cases().map((c) => c.name);
  for (const f of readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')))
    assert.ok(names.includes(f.replace(/\.yaml$/, '')), f);
  assert.ok(names.length >= 3, 'the minimal, three-NIC and EC2-only examples');
});

for (const c of cases()) {
  for (const format of FORMATS) {
    test(`${c.name}: ${format.name}`, async () => {
      const { vm } = await loadSpecFile(c.spec, { ids: { uuid: FIXED_UUID, randomSeed: FIXED_SEED } });
      const dir = join(GOLDEN, c.name, 'expected', format.name);
      const actual = format.render(vm);
      if (UPDATE) writeDir(dir, actual);
      assert.ok(existsSync(dir), `${dir} missing: run UPDATE_GOLDEN=1`);
      compareTrees(actual, readDir(dir), `${c.name}/${format.name}`);
    });
  }
  test(`${c.name}: http tree index`, async () => {
    const { vm } = await loadSpecFile(c.spec, { ids: { uuid: FIXED_UUID, randomSeed: FIXED_SEED } });
    const file = join(GOLDEN, c.name, 'expected', 'http-index.txt');
    const actual = httpIndex(renderHttpTree(vm));
    if (UPDATE) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, actual);
    }
    assert.equal(actual, readFileSync(file, 'utf8'), `${file} differs (UPDATE_GOLDEN=1 to rewrite)`);
  });
}
