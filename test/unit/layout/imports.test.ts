// Imports run one way, over the built tree (dist/src): errors.ts, then guest/ spec/ render/ state/ hypervisor/
// sidecar/ vm/ and cli/, each importing only folders before it (or itself), and no module cycle anywhere. The
// last test plants an upward import and a cycle in a scratch copy to show the check can fail.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST_SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

// Lowest first. A folder may import itself and any folder before it; `errors.ts` (the root file) imports nothing.
const LAYERS = ['errors.js', 'guest', 'spec', 'render', 'state', 'hypervisor', 'sidecar', 'tap', 'vm', 'cli'] as const;
// Files that must import no other vmmeta module at all (the lean sidecar and state/ build on them).
const ZERO_DEPENDENCY = ['errors.js', join('state', 'layout.js')];

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((e) => {
      const p = join(dir, e);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.js') ? [p] : [];
    });
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(
      /^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm,
    ),
  ];
  return specs.map((m) => (m[1] ?? m[2] ?? m[3])!).filter((s) => s.startsWith('.'));
}

const layerOf = (rel: string): number =>
  LAYERS.indexOf((rel.includes(sep) ? rel.split(sep)[0] : rel) as (typeof LAYERS)[number]);

// Every problem in one tree: an upward import, an import of a file outside the layers, a dependency of a
// zero-dependency file, and each module cycle (as the list of its modules).
function importProblems(root: string): string[] {
  const graph = new Map<string, string[]>();
  for (const file of walk(root))
    graph.set(
      relative(root, file),
      relativeImports(file).map((s) => relative(root, join(dirname(file), s))),
    );
  const problems: string[] = [];
  for (const [from, targets] of graph) {
    const own = layerOf(from);
    if (own < 0) problems.push(`${from} is in no layer (add its folder to LAYERS)`);
    for (const to of targets) {
      if (ZERO_DEPENDENCY.includes(from)) problems.push(`${from} must import nothing, but imports ${to}`);
      else if (layerOf(to) > own) problems.push(`${from} imports ${to}, a layer above it`);
    }
  }
  for (const cycle of cycles(graph)) problems.push(`module cycle: ${cycle.join(' -> ')}`);
  return problems;
}

// Tarjan's strongly connected components: every component of more than one module (or a self-import) is a cycle.
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || graph.get(v)!.includes(v)) out.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

test('the built tree imports one way, and has no module cycle', () => {
  const files = walk(DIST_SRC);
  assert.ok(files.length > 80, `walked ${files.length} modules in ${DIST_SRC}`);
  assert.deepEqual(importProblems(DIST_SRC), []);
});

test('the check fails on an upward import, a zero-dependency file that imports, and a cycle', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'vmmeta-imports-'));
  try {
    cpSync(DIST_SRC, scratch, { recursive: true });
    assert.deepEqual(importProblems(scratch), []);
    writeFileSync(
      join(scratch, 'spec', 'upward.js'),
      "import { UserError } from '../cli/output.js';\nexport { UserError };\n",
    );
    writeFileSync(
      join(scratch, 'state', 'layout.js'),
      `import '../errors.js';\n${readFileSync(join(scratch, 'state', 'layout.js'), 'utf8')}`,
    );
    writeFileSync(join(scratch, 'render', 'cycle-a.js'), "import './cycle-b.js';\n");
    writeFileSync(join(scratch, 'render', 'cycle-b.js'), "export * from './cycle-a.js';\n");
    assert.deepEqual(importProblems(scratch), [
      `${join('spec', 'upward.js')} imports ${join('cli', 'output.js')}, a layer above it`,
      `${join('state', 'layout.js')} must import nothing, but imports errors.js`,
      `module cycle: ${join('render', 'cycle-a.js')} -> ${join('render', 'cycle-b.js')}`,
    ]);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
