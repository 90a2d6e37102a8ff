import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, releaseLock, withVmLock, lockOwner } from '../../../src/state/lock.js';
import { UserError } from '../../../src/errors.js';
import { processStartTime } from '../../../src/state/pid.js';

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
  assert.equal(seen, `${process.pid} ${processStartTime(process.pid)}\n`);
  assert.ok(!existsSync(join(dir, 'lock')));
  assert.deepEqual(readdirSync(dir), [], 'no temp files left');
});

test('the lock is released when fn throws', async () => {
  const dir = vmDir();
  await assert.rejects(
    withVmLock(dir, async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.ok(!existsSync(join(dir, 'lock')));
});

test('a live owner makes the command fail with exit 4 naming the pid and the VM', async () => {
  const dir = vmDir();
  const child = spawn('sleep', ['30']);
  try {
    writeFileSync(join(dir, 'lock'), `${child.pid} ${processStartTime(child.pid!)}\n`);
    const err = await withVmLock(dir, async () => 'never', 'vm1').catch((e: unknown) => e);
    assert.ok(err instanceof UserError);
    assert.equal(err.exitCode, 4);
    assert.equal(err.message, `another vmmeta command (pid ${child.pid}) holds vm1`);
    assert.equal(
      readFileSync(join(dir, 'lock'), 'utf8'),
      `${child.pid} ${processStartTime(child.pid!)}\n`,
      'the owner keeps its lock',
    );
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
  const inside = await withVmLock(dir, async () => readFileSync(join(dir, 'lock'), 'utf8').split(' ')[0]);
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

test("releaseLock leaves someone else's lock alone", async () => {
  const dir = vmDir();
  writeFileSync(join(dir, 'lock'), '1\n');
  await releaseLock(dir);
  assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), '1\n');
});

test('a lock whose pid was reused (another start time, as after a reboot) is a dead owner and is taken over', async () => {
  const dir = vmDir();
  const child = spawn('sleep', ['30']);
  try {
    const [ticks, boot] = processStartTime(child.pid!)!.split('@');
    writeFileSync(join(dir, 'lock'), `${child.pid} ${ticks}@${boot}\n`);
    assert.equal(await lockOwner(dir), child.pid, 'the same pid and start time: the owner is alive');
    for (const stale of [`${Number(ticks) + 1}@${boot}`, `${ticks}@00000000-0000-0000-0000-000000000000`]) {
      writeFileSync(join(dir, 'lock'), `${child.pid} ${stale}\n`);
      assert.equal(await lockOwner(dir), undefined, stale);
      assert.equal(await withVmLock(dir, async () => 'taken over', 'vm1'), 'taken over');
      assert.ok(!existsSync(join(dir, 'lock')));
    }
  } finally {
    child.kill('SIGKILL');
  }
});

test('`echo 1 > lock`: a pid-only lock naming a live process that is not vmmeta is taken over', async () => {
  const dir = vmDir();
  writeFileSync(join(dir, 'lock'), '1\n');
  assert.equal(await lockOwner(dir), undefined);
  assert.equal(await withVmLock(dir, async () => 'ok', 'vm1'), 'ok');
});

test('processStartTime reads /proc/<pid>/stat field 22 even when the command name holds spaces and parentheses', async () => {
  const dir = vmDir();
  const odd = join(dir, 'a) b (c');
  writeFileSync(odd, '#!/bin/sh\nread x\n', { mode: 0o755 });
  const child = spawn(odd, [], { stdio: ['pipe', 'ignore', 'ignore'] });
  try {
    await new Promise((r) => setTimeout(r, 100));
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    assert.match(stat, /^\d+ \(a\) b \(c\) /, 'the command name really holds ") "');
    const field22 = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    assert.match(processStartTime(child.pid!)!, new RegExp(`^${field22}@[0-9a-f-]{36}$`));
  } finally {
    child.kill('SIGKILL');
  }
});
