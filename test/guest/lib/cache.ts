// Where guest builds live: outside the repository (they are hundreds of megabytes), shared by every run, each
// artefact built once behind a lock and published by rename so a half-built one is never seen.
import { mkdir, rm, readFile, writeFile, stat, rename, readdir } from 'node:fs/promises';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_CACHE } from '../../helpers/cloud-init.js';
import { timed, type TimingKind } from '../../helpers/timings.js';

export { TEST_CACHE };

// dist/test/guest/lib → repository root; the shell scripts stay in test/guest/scripts (tsc does not copy them).
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const SCRIPTS_DIR = join(REPO_ROOT, 'test', 'guest', 'scripts');

export function guestCache(...parts: string[]): string {
  return join(TEST_CACHE, 'guest', ...parts);
}

// Serial logs and timings of failed boots; test-artifacts/ is git-ignored.
export function artifactsDir(): string {
  const dir = process.env.VMMETA_TEST_ARTIFACTS ?? join(REPO_ROOT, 'test-artifacts', 'guest');
  mkdirSync(dir, { recursive: true });
  return dir;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// A lock directory holding the owner's pid: a second test file waits instead of building the same image again,
// and a lock left by a killed run (dead pid) is taken over. Image builds take minutes, hence the long deadline.
export async function withBuildLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 20 * 60_000): Promise<T> {
  const lock = guestCache(`${name}.lock`);
  await mkdir(dirname(lock), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if ((owner && !pidAlive(owner)) || (!owner && age > 30_000)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (held by pid ${owner})`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

// A debootstrap killed mid-build leaves its target's /proc, /sys and /dev/pts mounted: unmount them (deepest
// first) before the scratch folder is removed, so rm never walks into a live kernel file system.
function unmountBelow(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === dir || m.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
}

const timingKind = (dir: string): TimingKind => (dir.includes('/initramfs/') ? 'initramfs-build' : 'image-build');

// Builds `dir` once: `build(tmp)` fills a scratch folder, which is renamed into place with a `.complete` stamp.
export async function cachedDir(dir: string, build: (tmp: string) => Promise<void>): Promise<string> {
  if (existsSync(join(dir, '.complete'))) return dir;
  return withBuildLock(dir.slice(guestCache().length + 1).replaceAll('/', '_'), async () => {
    if (existsSync(join(dir, '.complete'))) return dir;
    const tmp = `${dir}.tmp-${process.pid}`;
    // Under the lock, any scratch folder of this artefact belongs to a killed builder.
    // On a cold cache the parent does not exist yet: make it before listing it.
    await mkdir(dirname(dir), { recursive: true });
    const base = dir.split('/').pop()!;
    for (const e of await readdir(dirname(dir)))
      if (e.startsWith(`${base}.tmp-`)) {
        unmountBelow(join(dirname(dir), e));
        await rm(join(dirname(dir), e), { recursive: true, force: true });
      }
    await mkdir(tmp, { recursive: true });
    try {
      await timed(timingKind(dir), dir.slice(guestCache().length + 1), () => build(tmp));
      await writeFile(join(tmp, '.complete'), new Date().toISOString() + '\n');
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
    } catch (e) {
      unmountBelow(tmp);
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    return dir;
  });
}
