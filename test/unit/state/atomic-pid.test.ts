import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, ensureDir } from '../../../src/state/atomic.js';
import { isAlive, isSidecarProcess, readLivePidFile, waitForExit } from '../../../src/state/pid.js';

// Every test gets its own folder; all of them go when the file is done, so runs leave nothing in /tmp.
const made: string[] = [];
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'atomic-'));
  made.push(d);
  return d;
};
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

test('writeFileAtomic writes the bytes with the exact mode, whatever the umask, and leaves no temp file', async () => {
  const d = dir();
  const old = process.umask(0o077);
  try {
    await writeFileAtomic(join(d, 'a.json'), '{"a":1}\n', { mode: 0o644 });
  } finally {
    process.umask(old);
  }
  await writeFileAtomic(join(d, 'b'), new Uint8Array([0, 255, 10]), { mode: 0o600 });
  assert.equal(readFileSync(join(d, 'a.json'), 'utf8'), '{"a":1}\n');
  assert.equal(statSync(join(d, 'a.json')).mode & 0o777, 0o644);
  assert.deepEqual([...readFileSync(join(d, 'b'))], [0, 255, 10]);
  assert.equal(statSync(join(d, 'b')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(d).sort(), ['a.json', 'b']);
});

test('writeFileAtomic replaces a file, and concurrent writers leave one complete version', async () => {
  const d = dir();
  const file = join(d, 'x');
  writeFileSync(file, 'old');
  const versions = Array.from({ length: 20 }, (_, i) => `version ${i} `.repeat(1000));
  await Promise.all(versions.map((v) => writeFileAtomic(file, v)));
  assert.ok(versions.includes(readFileSync(file, 'utf8')));
  assert.deepEqual(readdirSync(d), ['x']);
});

test('a failed write leaves the old file and no temp file', async () => {
  const d = dir();
  await assert.rejects(writeFileAtomic(join(d, 'missing-dir', 'x'), 'y'));
  assert.deepEqual(readdirSync(d), []);
});

test('ensureDir sets the exact mode on the leaf', async () => {
  const d = join(dir(), 'a', 'b');
  await ensureDir(d, 0o700);
  assert.equal(statSync(d).mode & 0o777, 0o700);
});

test('pids: ours is alive, an exited one is not, a recycled pid running something else is not our sidecar', async () => {
  assert.ok(isAlive(process.pid));
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const dead = Number(r.stdout.toString());
  assert.equal(isAlive(dead), false);
  assert.equal(isAlive(0), false);
  assert.equal(isAlive(-1), false);
  assert.equal(isSidecarProcess(process.pid, 'vm1'), false, 'the test runner is not `vmmeta serve vm1`');
  assert.equal(isSidecarProcess(process.pid, 'vm1', true), false, 'nor `vmmeta host`');
  assert.equal(await waitForExit(dead, 100), true);
  assert.equal(await waitForExit(process.pid, 60), false);
});

test('readLivePidFile: a dead pid reads as absent and the file stays', async () => {
  const d = dir();
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  writeFileSync(join(d, 'p.json'), JSON.stringify({ pid: Number(r.stdout.toString()) }));
  assert.equal(await readLivePidFile(join(d, 'p.json')), undefined);
  assert.ok(existsSync(join(d, 'p.json')), 'reading never removes');
  writeFileSync(join(d, 'q.json'), JSON.stringify({ pid: process.pid, x: 1 }));
  assert.deepEqual(await readLivePidFile(join(d, 'q.json')), { pid: process.pid, x: 1 });
  writeFileSync(join(d, 'half.json'), '{"pid": 12');
  assert.equal(await readLivePidFile(join(d, 'half.json')), undefined);
  assert.equal(await readLivePidFile(join(d, 'absent.json')), undefined);
});
