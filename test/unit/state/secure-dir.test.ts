import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, chmodSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirProblem, checkStateRoot, checkVmDir, readNoFollow } from '../../../src/state/secure-dir.js';
import { UnsafeStateError } from '../../../src/errors.js';

const dir = (uid: number, mode: number, more: Partial<{ isDirectory: boolean; isSymlink: boolean }> = {}) => ({
  uid,
  mode: 0o40000 | mode,
  isDirectory: true,
  isSymlink: false,
  ...more,
});

test('dirProblem: ssh-style owner and mode rules for the state root, its ancestors and VM folders', () => {
  const me = { euid: 1000 };
  assert.equal(dirProblem(dir(1000, 0o700), { ...me, leaf: 'state root' }), undefined);
  assert.equal(dirProblem(dir(1000, 0o755), { ...me, leaf: 'state root' }), undefined);
  assert.equal(dirProblem(dir(0, 0o755), { ...me, leaf: 'state root' }), undefined); // root's, e.g. /var/lib/vmmeta
  assert.equal(
    dirProblem(dir(1001, 0o700), { ...me, leaf: 'state root' }),
    'is owned by uid 1001, not by you (uid 1000)',
  );
  assert.equal(dirProblem(dir(1000, 0o770), { ...me, leaf: 'state root' }), 'is writable by its group (mode 0770)');
  assert.equal(
    dirProblem(dir(1000, 0o1777), { ...me, leaf: 'state root' }),
    'is writable by its group and others (mode 1777)',
    'sticky does not excuse the root itself',
  );
  assert.equal(dirProblem(dir(0, 0o1777), { ...me, leaf: undefined }), undefined, '/tmp above the root is fine');
  assert.equal(
    dirProblem(dir(0, 0o777), { ...me, leaf: undefined }),
    'is writable by its group and others (mode 0777)',
  );
  assert.equal(dirProblem(dir(1001, 0o755), { ...me, leaf: undefined }), 'is owned by uid 1001, not by you (uid 1000)');
  assert.equal(dirProblem(dir(0, 0o700), { ...me, leaf: 'VM folder' }), 'is owned by uid 0, not by you (uid 1000)');
  assert.equal(
    dirProblem(dir(1000, 0o777, { isSymlink: true, isDirectory: false }), { ...me, leaf: 'VM folder' }),
    'is a symbolic link',
  );
  assert.equal(dirProblem(dir(1000, 0o600, { isDirectory: false }), { ...me, leaf: 'state root' }), 'is not a folder');
});

test('checkStateRoot / checkVmDir on real folders; a missing root is judged by its parents; readNoFollow refuses links', async () => {
  const base = mkdtempSync(join(tmpdir(), 'vmmeta-secure-'));
  try {
    const euid = process.geteuid!();
    checkStateRoot(join(base, 'not', 'yet'), euid); // created later, 0700
    mkdirSync(join(base, 'root', 'vm'), { recursive: true, mode: 0o700 });
    checkStateRoot(join(base, 'root'), euid);
    checkVmDir(join(base, 'root', 'vm'), euid);
    chmodSync(join(base, 'root'), 0o777);
    assert.throws(
      () => checkStateRoot(join(base, 'root'), euid),
      (e: unknown) =>
        e instanceof UnsafeStateError &&
        /unsafe state root .* is writable by its group and others \(mode 0777\)/.test(e.message) &&
        /chmod go-w/.test(e.hint),
    );
    assert.throws(
      () => checkStateRoot(join(base, 'root', 'sub'), euid),
      /unsafe .*\/root, above the state root .*\/root\/sub, is writable/,
    );
    chmodSync(join(base, 'root'), 0o700);
    symlinkSync(join(base, 'root', 'vm'), join(base, 'root', 'alias'));
    assert.throws(() => checkVmDir(join(base, 'root', 'alias'), euid), /unsafe VM folder .*alias is a symbolic link/);
    writeFileSync(join(base, 'root', 'vm', 'real'), 'x');
    symlinkSync(join(base, 'root', 'vm', 'real'), join(base, 'root', 'vm', 'link'));
    assert.equal(await readNoFollow(join(base, 'root', 'vm', 'real'), 'utf8'), 'x');
    await assert.rejects(
      readNoFollow(join(base, 'root', 'vm', 'link')),
      (e: NodeJS.ErrnoException) =>
        e.code === 'ELOOP' && /vm\/link is a symbolic link; vmmeta does not follow links/.test(e.message),
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
