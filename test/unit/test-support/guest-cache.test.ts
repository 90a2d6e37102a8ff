// The guest layer's build cache must work from nothing: a new machine has no cache root and none of its parents.
// VMMETA_TEST_CACHE is read when the module loads, so it is set first and the module imported after.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const coldRoot = join(mkdtempSync(join(tmpdir(), 'vmmeta-cold-')), 'not', 'yet', 'there');
process.env.VMMETA_TEST_CACHE = coldRoot;
delete process.env.VMMETA_TEST_TIMINGS; // these builds are fakes: keep them out of the run's time summary
const { cachedDir, guestCache, withBuildLock } = await import('../../guest/lib/cache.js');

test('the cache root is the one the environment names, even when it does not exist', () => {
  assert.equal(guestCache('images'), join(coldRoot, 'guest', 'images'));
  assert.equal(existsSync(coldRoot), false);
});

test('cachedDir builds an artefact on a cache root whose parents do not exist, then reuses it', async () => {
  let builds = 0;
  const build = async (tmp: string) => {
    builds++;
    writeFileSync(join(tmp, 'disk.raw'), 'image');
  };
  const dir = await cachedDir(guestCache('images', 'bookworm-0123456789ab'), build);
  assert.equal(dir, join(coldRoot, 'guest', 'images', 'bookworm-0123456789ab'));
  assert.equal(readFileSync(join(dir, 'disk.raw'), 'utf8'), 'image');
  assert.ok(existsSync(join(dir, '.complete')));
  assert.equal(await cachedDir(dir, build), dir);
  assert.equal(builds, 1, 'a complete artefact is not built again');
  assert.deepEqual(
    readdirSync(join(coldRoot, 'guest', 'images')),
    ['bookworm-0123456789ab'],
    'no scratch folder or lock left',
  );
});

test('a nested artefact folder (initramfs/<hash>) is built from nothing too', async () => {
  const dir = await cachedDir(guestCache('initramfs', 'deep', 'f00d'), async (tmp) =>
    writeFileSync(join(tmp, 'initrd.gz'), 'x'),
  );
  assert.ok(existsSync(join(dir, 'initrd.gz')));
});

test('a failed build leaves neither the artefact nor its scratch folder, and releases the lock', async () => {
  const target = guestCache('images', 'trixie-badbadbadbad');
  await assert.rejects(
    cachedDir(target, async (tmp) => {
      writeFileSync(join(tmp, 'half'), 'x');
      throw new Error('debootstrap exited 1');
    }),
    /debootstrap exited 1/,
  );
  assert.equal(existsSync(target), false);
  assert.deepEqual(
    readdirSync(guestCache('images')).filter((e) => e.startsWith('trixie-')),
    [],
  );
  assert.equal(await withBuildLock('images_trixie-badbadbadbad', async () => 'free', 2_000), 'free');
});

test('a scratch folder and a lock left by a killed builder are taken over', async () => {
  const target = guestCache('images', 'bullseye-aaaaaaaaaaaa');
  const lock = guestCache('images_bullseye-aaaaaaaaaaaa.lock');
  mkdirSync(lock, { recursive: true });
  const deadPid = spawnSync('true').pid; // has exited by now
  mkdirSync(`${target}.tmp-${deadPid}`, { recursive: true });
  writeFileSync(join(lock, 'pid'), String(deadPid));
  const dir = await cachedDir(target, async (tmp) => writeFileSync(join(tmp, 'disk.raw'), 'fresh'));
  assert.equal(readFileSync(join(dir, 'disk.raw'), 'utf8'), 'fresh');
  assert.deepEqual(
    readdirSync(guestCache('images')).filter((e) => e.startsWith('bullseye-')),
    ['bullseye-aaaaaaaaaaaa'],
  );
  assert.equal(existsSync(lock), false);
});
