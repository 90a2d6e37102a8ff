// Driving the built CLI the way an operator does: `node bin/vmmeta.js …` with a private state root per run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { alive, killPid, onCleanup, spawnTracked } from './proc.js';
import { now, msSince } from './stats.js';

// dist/bench/lib/ -> repository root
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = join(REPO, 'bin', 'vmmeta.js');
export const EXAMPLES = join(REPO, 'templates', 'examples');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(
  args: string[],
  opts: { stateDir: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const t0 = now();
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', VMMETA_STATE_DIR: opts.stateDir, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, ms: msSince(t0) });
    });
  });
}

export async function runCliOk(
  args: string[],
  opts: { stateDir: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliResult> {
  const r = await runCli(args, opts);
  if (r.code !== 0) throw new Error(`vmmeta ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r;
}

// The CLI is usable when it is built and `--help` runs (while parts land, an import may still be missing).
export function cliAvailable(): boolean {
  if (!existsSync(join(REPO, 'dist', 'src', 'cli', 'main.js'))) return false;
  return spawnSync(process.execPath, [BIN, '--help'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

export function examplePath(name: string): string {
  return join(EXAMPLES, `${name}.yaml`);
}

// Never one cloud-init could take for AWS: "ec2…" as written or with its first group read byte-swapped.
export function newUuid(): string {
  for (;;) {
    const u = randomUUID();
    const swapped = u.slice(6, 8) + u.slice(4, 6);
    if (!u.startsWith('ec2') && !swapped.startsWith('ec2')) return u;
  }
}

// A copy of an example spec with its own name and uuid (and optionally listen addresses), written to `dir`.
// userDataFile is made absolute because the copy no longer sits next to the example's files.
export function writeVariant(
  example: string,
  dir: string,
  change: { name: string; uuid?: string; listen?: string[]; mode?: SidecarMode },
): string {
  const spec = parse(readFileSync(example, 'utf8')) as Record<string, unknown>;
  spec.name = change.name;
  spec.uuid = change.uuid ?? newUuid();
  delete spec.instanceId;
  delete spec.hostname;
  // userDataFile must stay in the spec's folder (spec/user-data-file.ts): copy it next to the variant.
  if (typeof spec.userDataFile === 'string' && !isAbsolute(spec.userDataFile)) {
    copyFileSync(join(dirname(example), spec.userDataFile), join(dir, basename(spec.userDataFile)));
    spec.userDataFile = basename(spec.userDataFile);
  }
  // Benchmarks drive the sidecar with wrk and plain HTTP clients over loopback, so they ask for a loopback
  // listener explicitly (the default is the 0600 socket only).
  spec.sidecar = {
    ...((spec.sidecar as object) ?? {}),
    listen: change.listen ?? ['unix', '127.0.0.1:0'],
    ...(change.mode === 'host' ? { mode: 'host' } : {}),
  };
  const out = join(dir, `${change.name}.yaml`);
  writeFileSync(out, stringify(spec));
  return out;
}

export type SidecarMode = 'process' | 'host';

// `vmmeta host` for a state root, tracked for clean-up; resolves once its ready event is printed (every host-mode
// VM already in the root answers by then) with the pid and how long that took from spawn.
export async function startHost(root: string): Promise<{ child: ChildProcess; readyMs: number }> {
  const t0 = performance.now();
  const child = spawnTracked(process.execPath, [BIN, 'host', '--state-dir', root], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      if (/"event":"ready"/.test(buffered)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`vmmeta host exited (${code}) before it was ready`)));
  });
  child.stdout!.resume();
  return { child, readyMs: performance.now() - t0 };
}

export interface SidecarInfo {
  pid: number;
  port: number | undefined;
}

export function readSidecar(stateDir: string, vm: string): SidecarInfo | undefined {
  const file = join(stateDir, vm, 'sidecar.json');
  if (!existsSync(file)) return undefined;
  const info = JSON.parse(readFileSync(file, 'utf8')) as {
    pid: number;
    listen?: Array<{ kind: string; port?: number }>;
  };
  return { pid: info.pid, port: info.listen?.find((l) => l.kind === 'tcp')?.port };
}

// A fresh state root that is torn down (sidecars killed, folder removed) even if the benchmark fails.
export function tempStateRoot(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `vmmeta-bench-${label}-`));
  onCleanup(() => destroyStateRoot(dir));
  return dir;
}

export function destroyStateRoot(dir: string): void {
  if (!existsSync(dir)) return;
  for (const vm of readdirSync(dir)) killSidecarOf(dir, vm);
  rmSync(dir, { recursive: true, force: true });
}

export function killSidecarOf(stateDir: string, vm: string): void {
  try {
    const info = readSidecar(stateDir, vm);
    // Never a host-mode VM's pid: that is the host, which the benchmark that started it ends.
    if (info && alive(info.pid) && readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').includes('\0serve\0'))
      killPid(info.pid);
  } catch {
    /* not a VM folder, or already gone */
  }
}
