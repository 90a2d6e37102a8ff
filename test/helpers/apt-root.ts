// A private apt root under the test cache: Debian's lists for every suite the tests use, without touching the
// host's apt configuration. Packages are downloaded with `apt-get download` (apt checks each .deb against the
// signed Release chain) and unpacked with `dpkg -x`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync, readdirSync, renameSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordTiming, timedSync } from './timings.js';
import { SID_KEYRING_NAME, fetchSidKeyring } from './sid-keyring.js';

export type Suite = 'bullseye' | 'bookworm' | 'trixie' | 'sid';

export const TEST_CACHE = process.env.VMMETA_TEST_CACHE ?? '/var/cache/vmmeta-test';

const MIRROR = 'http://deb.debian.org/debian';

function aptRoot(): string {
  return join(TEST_CACHE, 'apt');
}

export function sidKeyring(): string {
  return join(aptRoot(), 'keyrings', SID_KEYRING_NAME);
}

// sid's line is written only once its keyring exists: before that, apt would refuse the whole update.
function sourcesText(): string {
  const lines = ['bullseye', 'bookworm', 'trixie'].map((s) => `deb ${MIRROR} ${s} main\n`);
  lines.push('deb http://deb.debian.org/debian-security bookworm-security main\n');
  if (existsSync(sidKeyring())) lines.push(`deb [signed-by=${sidKeyring()}] ${MIRROR} sid main\n`);
  return lines.join('');
}

function aptDir(): string {
  const dir = aptRoot();
  const sources = join(dir, 'sources.list');
  mkdirSync(join(dir, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(dir, 'cache', 'archives', 'partial'), { recursive: true });
  if (!existsSync(join(dir, 'status'))) writeFileSync(join(dir, 'status'), '');
  const want = sourcesText();
  if (!existsSync(sources) || readFileSync(sources, 'utf8') !== want) writeFileSync(sources, want);
  return dir;
}

export function aptOptions(): string[] {
  const dir = aptDir();
  return [
    '-o',
    `Dir::Etc::SourceList=${join(dir, 'sources.list')}`,
    '-o',
    'Dir::Etc::SourceParts=/dev/null',
    '-o',
    `Dir::State::Lists=${join(dir, 'lists')}`,
    '-o',
    `Dir::State::Status=${join(dir, 'status')}`,
    '-o',
    `Dir::Cache=${join(dir, 'cache')}`,
    '-o',
    'APT::Sandbox::User=root',
  ];
}

// A cross-process lock by mkdir, so parallel test files do not unpack the same package twice.
export function withCacheLock<T>(name: string, fn: () => T): T {
  mkdirSync(TEST_CACHE, { recursive: true });
  const lock = join(TEST_CACHE, `${name}.lock`);
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

let listsUpdated = false;
export function aptUpdate(): void {
  if (listsUpdated) return;
  withCacheLock('apt-lists', () => {
    if (!existsSync(sidKeyring())) {
      // The keyring comes from trixie's lists, which the host's keyring verifies; then sid's line is added.
      forceAptUpdate();
      fetchSidKeyring(aptOptions(), sidKeyring(), join(TEST_CACHE, 'debs'));
    }
    const lists = readdirSync(join(aptDir(), 'lists'));
    const fresh = ['trixie', 'sid'].every((s) => lists.some((f) => f.includes(`_dists_${s}_`)));
    if (!fresh) forceAptUpdate();
  });
  listsUpdated = true;
}

function forceAptUpdate(): void {
  timedSync('apt-update', 'private apt lists', () =>
    execFileSync('apt-get', [...aptOptions(), 'update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'] }),
  );
}

// Downloads `pkg=version` into `dir`, fetching fresh lists once if the mirror dropped that version meanwhile.
export function aptDownload(pkg: string, suite: Suite, dir: string): { deb: string; version: string } {
  aptUpdate();
  mkdirSync(dir, { recursive: true });
  let version = candidateVersion(pkg, suite);
  try {
    execFileSync('apt-get', [...aptOptions(), 'download', `${pkg}=${version}`], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch {
    // Lists kept in a warm cache go stale: the mirror drops superseded versions (sid keeps only the newest), so
    // the download 404s. Fetch fresh lists once and ask again.
    withCacheLock('apt-lists', forceAptUpdate);
    version = candidateVersion(pkg, suite);
    execFileSync('apt-get', [...aptOptions(), 'download', `${pkg}=${version}`], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const deb = readdirSync(dir).find((f) =>
    f.startsWith(`${pkg}_${version.replace(/^\d+:/, '').replace(/:/g, '%3a')}_`),
  );
  if (!deb) throw new Error(`apt-get download ${pkg}=${version} produced no .deb`);
  return { deb: join(dir, deb), version };
}

// Downloads (once) the newest version of `pkg` that `suite` serves and unpacks it under the cache.
export function unpackPackage(pkg: string, suite: Suite): string {
  const root = join(TEST_CACHE, 'roots', `${pkg}-${suite}`);
  if (existsSync(join(root, '.complete'))) return root;
  return withCacheLock(`${pkg}-${suite}`, () => {
    if (existsSync(join(root, '.complete'))) return root;
    const started = Date.now();
    const { deb, version } = aptDownload(pkg, suite, join(TEST_CACHE, 'debs'));
    const tmp = `${root}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    execFileSync('dpkg', ['-x', deb, tmp]);
    writeFileSync(join(tmp, '.complete'), version + '\n');
    rmSync(root, { recursive: true, force: true });
    renameSync(tmp, root);
    recordTiming('package-unpack', `${pkg} (${suite})`, (Date.now() - started) / 1000);
    return root;
  });
}

function candidateVersion(pkg: string, suite: Suite): string {
  const out = execFileSync('apt-cache', [...aptOptions(), 'madison', pkg], { encoding: 'utf8' });
  for (const line of out.split('\n')) {
    const [, version, source] = line.split('|').map((s) => s.trim());
    if (version && source && new RegExp(`\\b${suite}(-security|-updates)?/main\\b`).test(source)) return version;
  }
  throw new Error(`no ${pkg} for ${suite} in:\n${out}`);
}
