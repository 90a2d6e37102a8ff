// Shared by the CLI fuzz and fault tests: run the built CLI against a private state root, fingerprint a VM folder
// byte for byte, mount small tmpfs state roots, and make sure no sidecar outlives a test.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { vmmeta as runCli, type Run } from '../helpers/cli.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = join(REPO, 'bin', 'vmmeta.js');
export const EXAMPLES = join(REPO, 'templates', 'examples');

export type { Run };

// The CLI with this state root, SIGKILLed if it hangs (a fault must never wedge the suite).
export function vmmeta(
  args: string[],
  opts: { root: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Run> {
  return runCli(args, { root: opts.root, env: opts.env ?? {}, killAfterMs: opts.timeoutMs ?? 30_000 });
}

// A Node stack frame ("    at fn (file:line:col)") anywhere on stderr means an unexplained crash.
export function stackTrace(stderr: string): string | undefined {
  return /^\s+at .+(:\d+:\d+\)?|\(native\)|\(node:.+\))$/m.exec(stderr)?.[0];
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `vmmeta-${label}-`));
}

// A copy of an example with its own name, uuid and (optionally) listen addresses.
export function writeSpec(
  dir: string,
  opts: { example?: string; name: string; uuid?: string; listen?: string[] },
): string {
  const spec = parse(readFileSync(join(EXAMPLES, `${opts.example ?? 'minimal'}.yaml`), 'utf8')) as Record<
    string,
    unknown
  >;
  spec.name = opts.name;
  if (opts.uuid) spec.uuid = opts.uuid;
  if (opts.listen) spec.sidecar = { listen: opts.listen };
  const file = join(dir, `${opts.name}.yaml`);
  writeFileSync(file, stringify(spec));
  return file;
}

// Path -> (type, mode, sha256) for every entry under dir, so "nothing lost or changed" is one deepEqual.
export function fingerprint(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r)) continue;
      const st = lstatSync(join(dir, r));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out[r] = `dir ${mode}`;
        walk(r);
      } else if (st.isSymbolicLink()) out[r] = `link ${readlinkSync(join(dir, r))}`;
      else if (st.isSocket()) out[r] = `socket ${mode}`;
      else
        out[r] = `file ${mode} ${createHash('sha256')
          .update(readFileSync(join(dir, r)))
          .digest('hex')}`;
    }
  };
  walk('');
  return out;
}

export function sidecarPid(root: string, vm: string): number | undefined {
  const file = join(root, vm, 'sidecar.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid : undefined;
}

export function sidecarPort(root: string, vm: string): number | undefined {
  const file = join(root, vm, 'sidecar.json');
  if (!existsSync(file)) return undefined;
  const info = JSON.parse(readFileSync(file, 'utf8')) as { listen?: Array<{ kind: string; port?: number }> };
  return info.listen?.find((l) => l.kind === 'tcp')?.port;
}

export { isAlive as alive } from '../../src/state/pid.js';

// Pids of `vmmeta serve <vm>` processes whose environment points at this state root.
export function servePids(root: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!cmd.includes('serve') || !cmd.some((a) => a.endsWith('vmmeta.js'))) continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (env.includes(`VMMETA_STATE_DIR=${root}`) || cmd.includes(root)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

export function killServes(root: string): void {
  for (const pid of servePids(root)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

// A tmpfs of `sizeKb` at a fresh mount point (root only: tests that need it skip otherwise).
export function mountTmpfs(sizeKb: number): string {
  const dir = tempDir('tmpfs');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir]);
  return dir;
}

export function remount(dir: string, mode: 'ro' | 'rw'): void {
  execFileSync('mount', ['-o', `remount,${mode}`, dir]);
}

export function unmount(dir: string): void {
  killServes(dir);
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  }
  rmSync(dir, { recursive: true, force: true });
}

export function canMount(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs';
  try {
    unmount(mountTmpfs(64));
    return false;
  } catch (err) {
    return `cannot mount a tmpfs here: ${(err as Error).message.split('\n')[0]}`;
  }
}
