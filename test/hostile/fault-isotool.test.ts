// No genisoimage and no xorriso on PATH (a minimal host): create must say which tool is missing and how to get
// it (exit 1: a valid request that failed), leave no half-built VM, and not touch VMs already there. A VM that
// needs no CD (--suppress-nocloud) must still be creatable without either tool.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, killServes, stackTrace, tempDir, vmmeta, writeSpec } from './fault-kit.js';

test(
  'missing ISO tool: clear error, exit 1, nothing half-built, other VMs untouched',
  { timeout: 120_000 },
  async () => {
    const work = tempDir('fault-iso');
    const root = join(work, 'state');
    const bin = join(work, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node')); // node only: no genisoimage, xorriso, socat, …
    try {
      const a = await vmmeta(['create', writeSpec(work, { name: 'iso-a' }), '--no-start', '--json'], { root });
      assert.equal(a.code, 0, a.stderr);
      const before = fingerprint(root);

      const b = await vmmeta(['create', writeSpec(work, { name: 'iso-b' }), '--no-start'], {
        root,
        env: { PATH: bin },
      });
      assert.equal(b.code, 1, `exit 1 expected, got ${b.code}: ${b.stderr}`);
      assert.equal(stackTrace(b.stderr), undefined, b.stderr);
      assert.match(b.stderr, /genisoimage|xorriso/, 'the message names the missing tool');
      assert.deepEqual(readdirSync(root).sort(), ['iso-a'], 'no iso-b folder and no temp folder left');
      assert.deepEqual(fingerprint(root), before, 'iso-a unchanged byte for byte');

      const c = await vmmeta(
        ['create', writeSpec(work, { name: 'iso-c' }), '--no-start', '--suppress-nocloud', '--json'],
        { root, env: { PATH: bin } },
      );
      assert.equal(c.code, 0, `a VM without a CD needs no ISO tool: ${c.stderr}`);
    } finally {
      killServes(root);
      rmSync(work, { recursive: true, force: true });
    }
  },
);
