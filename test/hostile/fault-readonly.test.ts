// The state root turns read-only (a remounted disk, a full quota on some filesystems): chmod does not stop root,
// so the root is a tmpfs remounted ro. Creating or starting must fail with a clear message and exit 1, leave no
// sidecar behind, and the VM already there must be byte for byte what it was.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  canMount,
  fingerprint,
  mountTmpfs,
  remount,
  servePids,
  stackTrace,
  tempDir,
  unmount,
  vmmeta,
  writeSpec,
} from './fault-kit.js';
import { readdirSync, rmSync } from 'node:fs';

test(
  'read-only state root: clear error, exit 1, existing VM unchanged',
  { skip: canMount(), timeout: 120_000 },
  async () => {
    const work = tempDir('fault-ro');
    const root = mountTmpfs(64 * 1024);
    try {
      const a = await vmmeta(['create', writeSpec(work, { name: 'ro-a' }), '--no-start', '--json'], { root });
      assert.equal(a.code, 0, a.stderr);
      const before = fingerprint(root);
      remount(root, 'ro');

      const b = await vmmeta(['create', writeSpec(work, { name: 'ro-b' }), '--no-start'], { root });
      assert.equal(b.code, 1, `exit 1 expected, got ${b.code}: ${b.stderr}`);
      assert.equal(stackTrace(b.stderr), undefined, b.stderr);
      assert.match(b.stderr, /read-only|EROFS/i, 'the message says the file system is read-only');

      const start = await vmmeta(['start', 'ro-a'], { root });
      assert.equal(start.code, 1, `start on a read-only root: exit 1 expected, got ${start.code}: ${start.stderr}`);
      assert.equal(stackTrace(start.stderr), undefined, start.stderr);
      assert.deepEqual(servePids(root), [], 'no sidecar left running');

      assert.deepEqual(fingerprint(root), before, 'ro-a unchanged byte for byte');
      remount(root, 'rw');
      assert.deepEqual(readdirSync(root), ['ro-a']);
    } finally {
      unmount(root);
      rmSync(work, { recursive: true, force: true });
    }
  },
);
