import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, releaseLock, withVmLock, lockOwner } from '../../../src/state/lock.js';
import { UserError } from '../../../src/cli/errors.js';

function vmDir(): string {
  return mkdtempSync(join(tmpdir(), 'lock-'));
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

test('withVmLock holds the lock with our pid while fn runs and releases it after', async () => {
  const dir = vmDir();
  const seen = await withVmLock(dir, async () => readFileSync(join(dir, 'lock'), 'utf8'));
  assert.equal(seen.trim(), String(process.pid));
  assert.ok(!existsSync(join(dir, 'lock')));
  assert.deepEqual(readdirSync(dir), [], 'no temp files left');
});

test('the lock is released when fn throws', async () => {
  const dir = vmDir();
  await assert.rejects(withVmLock(dir, async () => { throw new Error('boom'); }), /boom/);
  assert.ok(!existsSync(join(dir, 'lock')));
});

test('a live owner makes the command fail with exit 4 naming the pid and the VM', async () => {
  const dir = vmDir();
  const child = spawn('sleep', ['30']);
  try {
    writeFileSync(join(dir, 'lock'), `${child.pid}\n`);
    const err = await withVmLock(dir, async () => 'never', 'vm1').catch((e: unknown) => e);
    assert.ok(err instanceof UserError);
    assert.equal(err.exitCode, 4);
    assert.equal(err.message, `another vmmeta command (pid ${child.pid}) holds vm1`);
    assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), `${child.pid}\n`, 'the owner keeps its lock');
    assert.equal(await lockOwner(dir), child.pid);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a lock whose owner is dead is taken over', async () => {
  const dir = vmDir();
  const dead = deadPid();
  writeFileSync(join(dir, 'lock'), `${dead}\n`);
  assert.equal(await lockOwner(dir), undefined);
  const inside = await withVmLock(dir, async () => readFileSync(join(dir, 'lock'), 'utf8').trim());
  assert.equal(inside, String(process.pid));
  assert.ok(!existsSync(join(dir, 'lock')));
});

test('an empty or garbled lock (a writer that died) is taken over', async () => {
  const dir = vmDir();
  writeFileSync(join(dir, 'lock'), 'garbage');
  assert.equal(await withVmLock(dir, async () => 'ok'), 'ok');
});

test('nested use in one process does not deadlock and the outer scope keeps the lock', async () => {
  const dir = vmDir();
  await withVmLock(dir, async () => {
    assert.equal(await acquireLock(dir), false);
    await withVmLock(dir, async () => undefined);
    assert.ok(existsSync(join(dir, 'lock')), 'inner scope did not release the outer lock');
  });
  assert.ok(!existsSync(join(dir, 'lock')));
});

test('releaseLock leaves someone else\'s lock alone', async () => {
  const dir = vmDir();
  writeFileSync(join(dir, 'lock'), '1\n');
  await releaseLock(dir);
  assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), '1\n');
});
