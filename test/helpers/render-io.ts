// File-side helpers for renderer tests: load an example spec with fixed ids, write a FileTree to a folder.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '../../src/spec/load.js';
import type { ResolvedVm } from '../../src/spec/schema.js';
import type { FileTree } from '../../src/render/tree.js';
import { FIXED_SEED, FIXED_UUID } from './vm-fixtures.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const EXAMPLE_NAMES = ['minimal', 'three-nic', 'ec2-only'] as const;

export async function loadExample(name: string): Promise<ResolvedVm> {
  const { vm } = await loadSpecFile(join(REPO, 'templates', 'examples', `${name}.yaml`), {
    ids: { uuid: FIXED_UUID, randomSeed: FIXED_SEED },
  });
  return vm;
}

export function writeTree(tree: FileTree, dir: string = mkdtempSync(join(tmpdir(), 'vmmeta-render-'))): string {
  for (const [path, bytes] of tree) {
    const file = join(dir, path.replace(/^\//, ''));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
  }
  return dir;
}

// A tree as JSON {path: base64} for a Python harness to read.
export function treeJson(tree: FileTree): string {
  return JSON.stringify(Object.fromEntries([...tree].map(([p, b]) => [p, Buffer.from(b).toString('base64')])));
}
