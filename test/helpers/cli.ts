// Drives the built CLI as a user would: `node bin/vmmeta.js …` with a temp VMMETA_STATE_DIR, plus cleanup that
// finds every sidecar started for a root (by its environment, so orphans are found too) and stops it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'node:http';

export const BIN = fileURLToPath(new URL('../../../bin/vmmeta.js', import.meta.url));
export const EXAMPLES = fileURLToPath(new URL('../../../templates/examples/', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  root?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  killAfterMs?: number; // SIGKILL the command after this long
}

export function vmmeta(args: string[], o: RunOptions = {}): Promise<Run> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NO_COLOR: '1',
      ...(o.root ? { VMMETA_STATE_DIR: o.root } : {}),
      ...o.env,
    };
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // A command may exit without reading its input (a hook ignoring a phase): EPIPE is then its answer, not ours.
    child.stdin.on('error', () => undefined);
    child.stdin.end(o.input ?? '');
    const timer = o.killAfterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), o.killAfterMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Math.round(performance.now() - start) });
    });
  });
}

export function json<T = Record<string, unknown>>(run: Run): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\n--- stderr:\n${run.stderr}`);
  }
}

// Short: the sidecar socket path must stay under 108 bytes.
export function tempRoot(prefix = 'vmm-'): string {
  return mkdtempSync(join('/tmp', prefix));
}

export function writeSpec(dir: string, name: string, extra = ''): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\n${extra}`);
  return file;
}

// Pids of `vmmeta serve` processes whose VMMETA_STATE_DIR is root.
export function sidecarPids(root: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!argv.includes('serve') || !argv.some((a) => a.endsWith('vmmeta.js'))) continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (env.includes(`VMMETA_STATE_DIR=${root}`)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export async function cleanupRoot(root: string): Promise<void> {
  for (const pid of sidecarPids(root)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(root, { recursive: true, force: true });
}

export function httpGet(
  url: string | { socketPath: string; path: string },
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // request(url, options, cb) takes a URL; a socket target is one options object (request(options, cb)).
    const common = { headers, agent: false, timeout: 5000 };
    const onResponse = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const req =
      typeof url === 'string' ? request(new URL(url), common, onResponse) : request({ ...url, ...common }, onResponse);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function modeOf(path: string): string {
  return (statMode(path) & 0o777).toString(8).padStart(4, '0');
}

function statMode(path: string): number {
  return statSync(path).mode;
}
