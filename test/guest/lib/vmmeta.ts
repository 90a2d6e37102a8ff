// Drives the real CLI the way an operator would: write a spec, `vmmeta create <spec> --json` into a private
// state root, boot with the qemu-args.json it wrote, and stop its sidecar afterwards.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { REPO_ROOT } from './cache.js';

const exec = promisify(execFile);
const BIN = join(REPO_ROOT, 'bin', 'vmmeta.js');

export interface CreatedVm {
  name: string;
  root: string; // the state root (VMMETA_STATE_DIR)
  dir: string; // root/<name>
  qemuArgs: string[]; // exactly what vmmeta wrote, without the program name
  output: unknown; // create's --json document
}

// A short root: the sidecar's Unix socket path must fit in 108 bytes (state/paths.ts).
export async function stateRoot(): Promise<string> {
  return mkdtemp('/tmp/vmmeta-guest-');
}

// netns: run inside that network namespace, so tap-mode rules and listeners land there and never on the host.
export async function vmmeta(
  root: string,
  args: string[],
  o: { netns?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  const argv = [process.execPath, BIN, ...args];
  const [cmd, ...rest] = o.netns ? ['ip', 'netns', 'exec', o.netns, ...argv] : argv;
  try {
    return await exec(cmd!, rest, { env: { ...process.env, VMMETA_STATE_DIR: root, NO_COLOR: '1' }, timeout: 60_000 });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`vmmeta ${args.join(' ')} failed: ${err.message}\nstdout: ${err.stdout}\nstderr: ${err.stderr}`);
  }
}

export async function createVm(
  root: string,
  spec: Record<string, unknown>,
  flags: string[] = [],
  o: { netns?: string } = {},
): Promise<CreatedVm> {
  const name = String(spec.name);
  const file = join(root, `${name}.spec.yaml`);
  await writeFile(file, stringify(spec));
  const { stdout } = await vmmeta(root, ['create', file, '--json', ...flags], o);
  const dir = join(root, name);
  const argv = JSON.parse(await readFile(join(dir, 'qemu-args.json'), 'utf8')) as unknown;
  const list = Array.isArray(argv) ? argv : (argv as { args?: unknown }).args;
  if (!Array.isArray(list) || !list.every((a) => typeof a === 'string'))
    throw new Error(`unexpected qemu-args.json in ${dir}`);
  // Some writers put the program first; the harness supplies it.
  const qemuArgs = list[0] && !list[0].startsWith('-') ? list.slice(1) : list;
  return { name, root, dir, qemuArgs, output: JSON.parse(stdout) };
}

// Stops the VM's sidecar through the CLI; if that fails, kills the pid the sidecar recorded, so no test leaves
// a sidecar behind.
export async function destroyVm(vm: CreatedVm): Promise<void> {
  try {
    await vmmeta(vm.root, ['stop', vm.name]);
  } catch {
    const info = JSON.parse(await readFile(join(vm.dir, 'sidecar.json'), 'utf8').catch(() => '{}')) as { pid?: number };
    if (info.pid) {
      try {
        process.kill(info.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
  }
}

export async function removeRoot(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}

// What the sidecar logged per request (access.ndjson), to count the guest's requests.
export async function accessLog(vm: CreatedVm): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(join(vm.dir, 'access.ndjson'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
