// The state root's file system is full: create must fail with a clear "no space" message and exit 1, roll back
// its half-written temp folder (so the space is not lost twice), leave the existing VM byte for byte as it was,
// and succeed once space is freed.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { canMount, fingerprint, mountTmpfs, stackTrace, tempDir, unmount, vmmeta, writeSpec } from './fault-kit.js';

// Writes zeros until ENOSPC, so the next create fails part-way (not at its first byte).
function fill(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(4096);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}

test(
  'full state root: clear error, exit 1, no partial VM, existing VM unchanged, recovers',
  { skip: canMount(), timeout: 120_000 },
  async () => {
    const work = tempDir('fault-full');
    const root = mountTmpfs(2048);
    try {
      const a = await vmmeta(['create', writeSpec(work, { name: 'full-a' }), '--no-start', '--json'], { root });
      assert.equal(a.code, 0, a.stderr);
      const before = fingerprint(root);
      const filler = join(root, 'zz-filler');
      fill(filler);

      const b = await vmmeta(['create', writeSpec(work, { name: 'full-b' }), '--no-start'], { root });
      assert.equal(b.code, 1, `exit 1 expected, got ${b.code}: ${b.stderr}`);
      assert.equal(stackTrace(b.stderr), undefined, b.stderr);
      assert.match(b.stderr, /no space|ENOSPC|full/i, 'the message says the disk is full');
      assert.deepEqual(readdirSync(root).sort(), ['full-a', 'zz-filler'], 'no full-b folder and no temp folder left');
      assert.deepEqual(
        fingerprint(root, (rel) => rel === 'zz-filler'),
        before,
        'full-a unchanged byte for byte',
      );

      rmSync(filler);
      const again = await vmmeta(['create', writeSpec(work, { name: 'full-b' }), '--no-start', '--json'], { root });
      assert.equal(again.code, 0, `create succeeds once space is back: ${again.stderr}`);
    } finally {
      unmount(root);
      rmSync(work, { recursive: true, force: true });
    }
  },
);
