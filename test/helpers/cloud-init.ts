// The real client, without installing it on the host: a suite's `cloud-init` package is downloaded from Debian's
// mirror with a private apt configuration and unpacked with `dpkg -x` into a cache folder outside the repo.
// Its Python code runs on the host's /usr/bin/python3 (with Debian's python3-* dependencies installed by .ci/run),
// and its ds-identify shell script runs against fake roots.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { unpackPackage, type Suite } from './apt-root.js';

export { TEST_CACHE, aptOptions, aptUpdate, unpackPackage, withCacheLock, type Suite } from './apt-root.js';
export const SUITES: Suite[] = ['bullseye', 'bookworm', 'trixie', 'sid'];
export type Generation = '20.4' | '22.4' | '25.1' | '26.2';
export const SUITE_CLOUD_INIT: Record<Suite, Generation> = {
  bullseye: '20.4',
  bookworm: '22.4',
  trixie: '25.1',
  sid: '26.2',
};

const ORDER: Generation[] = ['20.4', '22.4', '25.1', '26.2'];
// For pins that hold "from this generation on": a newer suite inherits them without another edit.
export function suiteAtLeast(suite: Suite, gen: Generation): boolean {
  return ORDER.indexOf(SUITE_CLOUD_INIT[suite]) >= ORDER.indexOf(gen);
}

// sid keeps only its newest revision: the tests take what it serves that day, require at least this, and say
// which one they used.
export const SID_MINIMUM = '26.2';
const announced = new Set<string>();

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
  const dsIdentify = [
    'usr/lib/cloud-init/ds-identify',
    'usr/libexec/cloud-init/ds-identify',
    'lib/cloud-init/ds-identify',
  ]
    .map((p) => join(root, p))
    .find((p) => existsSync(p));
  if (!dsIdentify) throw new Error(`no ds-identify under ${root}`);
  const version = execFileSync('cat', [join(root, '.complete')], { encoding: 'utf8' }).trim();
  if (suite === 'sid') {
    const ok = spawnSync('dpkg', ['--compare-versions', version, 'ge', SID_MINIMUM]).status === 0;
    if (!ok)
      throw new Error(
        `sid's cloud-init is ${version}, older than the ${SID_MINIMUM} the tests require (remove ${root} to fetch today's)`,
      );
    if (!announced.has(version)) console.log(`# cloud-init from sid: ${version} (required >= ${SID_MINIMUM})`);
    announced.add(version);
  }
  return { suite, version, root, dsIdentify, pythonPath: dist };
}

// The environment every run of a suite's cloud-init gets: a plain PATH and locale, and only that suite's
// cloudinit package importable (no bytecode written into the cache).
export function cloudInitEnv(client: CloudInitClient): Record<string, string> {
  return {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    PYTHONPATH: client.pythonPath,
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

// Runs a Python snippet with the suite's cloudinit package importable. The script gets argv and returns stdout.
// Runs from a scratch cwd so a stray warnings.py or cloudinit/ folder cannot shadow the real modules.
export function runCloudInitPython(
  client: CloudInitClient,
  script: string,
  args: string[] = [],
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): { stdout: string; stderr: string; status: number | null } {
  const res = spawnSync('/usr/bin/python3', ['-c', script, ...args], {
    cwd: '/',
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    env: { ...cloudInitEnv(client), ...opts.env },
  });
  return { stdout: res.stdout, stderr: res.stderr, status: res.status };
}
