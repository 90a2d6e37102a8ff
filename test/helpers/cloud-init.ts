// The real client, without installing it on the host: a suite's `cloud-init` package is downloaded from Debian's
// mirror with a private apt configuration and unpacked with `dpkg -x` into a cache folder outside the repo.
// Its Python code runs on the host's /usr/bin/python3 (with Debian's python3-* dependencies installed by .ci/run),
// and its ds-identify shell script runs against fake roots.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { recordTiming, timedSync } from './timings.js';

export type Suite = 'bullseye' | 'bookworm' | 'trixie';
export const SUITES: Suite[] = ['bullseye', 'bookworm', 'trixie'];
export const SUITE_CLOUD_INIT: Record<Suite, '20.4' | '22.4' | '25.1'> = { bullseye: '20.4', bookworm: '22.4', trixie: '25.1' };

export const TEST_CACHE = process.env.VMMETA_TEST_CACHE ?? '/var/cache/vmmeta-test';

function aptDir(): string {
  const dir = join(TEST_CACHE, 'apt');
  const sources = join(dir, 'sources.list');
  if (!existsSync(sources)) {
    mkdirSync(join(dir, 'lists', 'partial'), { recursive: true });
    mkdirSync(join(dir, 'cache', 'archives', 'partial'), { recursive: true });
    writeFileSync(join(dir, 'status'), '');
    writeFileSync(
      sources,
      ['bullseye', 'bookworm', 'trixie'].map((s) => `deb http://deb.debian.org/debian ${s} main\n`).join('') +
        'deb http://deb.debian.org/debian-security bookworm-security main\n',
    );
  }
  return dir;
}

export function aptOptions(): string[] {
  const dir = aptDir();
  return [
    '-o', `Dir::Etc::SourceList=${join(dir, 'sources.list')}`,
    '-o', 'Dir::Etc::SourceParts=/dev/null',
    '-o', `Dir::State::Lists=${join(dir, 'lists')}`,
    '-o', `Dir::State::Status=${join(dir, 'status')}`,
    '-o', `Dir::Cache=${join(dir, 'cache')}`,
    '-o', 'APT::Sandbox::User=root',
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
  const lists = join(aptDir(), 'lists');
  const fresh = readdirSync(lists).some((f) => f.includes('trixie'));
  if (!fresh) forceAptUpdate();
  listsUpdated = true;
}

function forceAptUpdate(): void {
  timedSync('apt-update', 'private apt lists', () => execFileSync('apt-get', [...aptOptions(), 'update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'] }));
}

// Downloads (once) the newest version of `pkg` that `suite` serves and unpacks it under the cache.
export function unpackPackage(pkg: string, suite: Suite): string {
  const root = join(TEST_CACHE, 'roots', `${pkg}-${suite}`);
  if (existsSync(join(root, '.complete'))) return root;
  return withCacheLock(`${pkg}-${suite}`, () => {
    if (existsSync(join(root, '.complete'))) return root;
    const started = Date.now();
    aptUpdate();
    const dl = join(TEST_CACHE, 'debs');
    mkdirSync(dl, { recursive: true });
    let version = candidateVersion(pkg, suite);
    try {
      execFileSync('apt-get', [...aptOptions(), 'download', `${pkg}=${version}`], { cwd: dl, stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      // Lists kept in a warm cache go stale: the mirror drops superseded versions, so the download 404s. Fetch
      // fresh lists once and ask again.
      forceAptUpdate();
      version = candidateVersion(pkg, suite);
      execFileSync('apt-get', [...aptOptions(), 'download', `${pkg}=${version}`], { cwd: dl, stdio: ['ignore', 'ignore', 'inherit'] });
    }
    const deb = readdirSync(dl).find((f) => f.startsWith(`${pkg}_${version.replace(/^\d+:/, '')}_`));
    if (!deb) throw new Error(`apt-get download ${pkg}=${version} produced no .deb`);
    const tmp = `${root}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    execFileSync('dpkg', ['-x', join(dl, deb), tmp]);
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

export interface CloudInitClient {
  suite: Suite;
  version: string; // the package version, e.g. 22.4.2-1+deb12u4
  root: string; // the unpacked package
  dsIdentify: string; // path of its ds-identify script
  pythonPath: string; // to put first on PYTHONPATH
}

export function cloudInitClient(suite: Suite = 'bookworm'): CloudInitClient {
  const root = unpackPackage('cloud-init', suite);
  const dist = [join(root, 'usr/lib/python3/dist-packages'), join(root, 'usr/lib/python3.13/dist-packages')].find((p) =>
    existsSync(join(p, 'cloudinit')),
  );
  if (!dist) throw new Error(`no cloudinit module under ${root}`);
  const dsIdentify = ['usr/lib/cloud-init/ds-identify', 'usr/libexec/cloud-init/ds-identify', 'lib/cloud-init/ds-identify']
    .map((p) => join(root, p))
    .find((p) => existsSync(p));
  if (!dsIdentify) throw new Error(`no ds-identify under ${root}`);
  const version = execFileSync('cat', [join(root, '.complete')], { encoding: 'utf8' }).trim();
  return { suite, version, root, dsIdentify, pythonPath: dist };
}

// Runs a Python snippet with the suite's cloudinit package importable. The script gets argv and returns stdout.
// Runs from a scratch cwd so a stray warnings.py or cloudinit/ folder cannot shadow the real modules.
export function runCloudInitPython(client: CloudInitClient, script: string, args: string[] = [], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): { stdout: string; stderr: string; status: number | null } {
  const res = spawnSync('/usr/bin/python3', ['-c', script, ...args], {
    cwd: '/',
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8', PYTHONPATH: client.pythonPath, PYTHONDONTWRITEBYTECODE: '1', ...opts.env },
  });
  return { stdout: res.stdout, stderr: res.stderr, status: res.status };
}
