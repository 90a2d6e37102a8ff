// The per-VM store: state.json (plain versioned JSON, re-checked with zod on read, like Firecracker's
// persisted …State structs), existence, listing and removal. Creation and in-place updates are staged by
// cli/commands/create-apply.ts; this file owns what a stored VM is.
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ResolvedVm } from '../spec/schema.js';
import { vmNameSchema } from '../spec/schema.js';
import { EXIT, UserError } from '../cli/errors.js';
import { FILES, deletingDir, parseLeftover, vmPaths, type VmPaths } from './paths.js';
import { isAlive } from './pid.js';

export const STATE_VERSION = 1;

const outputsSchema = z.object({
  nocloud: z.enum(['cd', 'none', 'net']),
  cdrom: z.object({ path: z.string(), bus: z.string() }).nullable(),
  configDrive: z.string().nullable(),
  listen: z.array(z.string()),
  guestfwd: z.string().nullable(),
  seedUrl: z.string().nullable(),
});
export type VmOutputs = z.infer<typeof outputsSchema>;

const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  name: z.string(),
  uuid: z.string(),
  randomSeed: z.string(),
  specHash: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  resolved: z.looseObject({ name: z.string(), uuid: z.string(), hostname: z.string(), instanceId: z.string() }),
  outputs: outputsSchema,
});
export type StoredState = z.infer<typeof stateSchema>;

// ResolvedVm as JSON: user-data bytes are kept as base64 so any byte sequence survives.
export function encodeResolved(vm: ResolvedVm): Record<string, unknown> {
  const { userData, ...rest } = vm;
  return { ...rest, userDataBase64: userData ? Buffer.from(userData).toString('base64') : undefined };
}

export function decodeResolved(stored: Record<string, unknown>): ResolvedVm {
  const { userDataBase64, ...rest } = stored;
  const vm = rest as unknown as ResolvedVm;
  if (typeof userDataBase64 === 'string') vm.userData = new Uint8Array(Buffer.from(userDataBase64, 'base64'));
  return vm;
}

export function notFound(root: string, name: string): UserError {
  return new UserError(`no VM named ${name} in ${root}`, {
    exitCode: EXIT.notFound,
    hint: 'list VMs with: vmmeta list (or pass the right --state-dir)',
  });
}

export function checkVmName(name: string): void {
  const r = vmNameSchema.safeParse(name);
  if (!r.success) throw new UserError(`invalid VM name ${JSON.stringify(name)}: ${r.error.issues[0]?.message}`, { exitCode: EXIT.invalid });
}

export async function vmExists(root: string, name: string): Promise<boolean> {
  try {
    return (await stat(join(root, name, FILES.state))).isFile();
  } catch {
    return false;
  }
}

// The paths of an existing VM, or exit 3.
export async function requireVm(root: string, name: string): Promise<VmPaths> {
  checkVmName(name);
  if (!(await vmExists(root, name))) throw notFound(root, name);
  return vmPaths(root, name);
}

export async function readState(p: VmPaths): Promise<StoredState> {
  let raw: string;
  try {
    raw = await readFile(p.state, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(p.root, p.name);
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const r = stateSchema.safeParse(parsed);
  if (!r.success) {
    throw new UserError(`${p.state} is damaged or from another vmmeta version`, {
      details: r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
      hint: `re-create it from its spec: vmmeta create --force ${p.spec}`,
    });
  }
  return r.data;
}

export async function listVmNames(root: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const names: string[] = [];
  for (const e of entries.sort()) if (vmNameSchema.safeParse(e).success && (await vmExists(root, e))) names.push(e);
  return names;
}

// Staging and deleting folders left by a command that died (SIGKILL, power loss). Only those whose pid is dead
// are removed, so a create running right now in parallel keeps its staging folder.
export async function removeLeftovers(root: string, name?: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const e of entries) {
    const l = parseLeftover(e);
    if (!l || (name !== undefined && l.name !== name) || isAlive(l.pid)) continue;
    await rm(join(root, e), { recursive: true, force: true });
    removed.push(e);
  }
  return removed;
}

// Renames first so a half-removed VM never looks like a VM, then removes.
export async function removeVm(p: VmPaths): Promise<void> {
  const aside = deletingDir(p.root, p.name);
  await rename(p.dir, aside);
  await rm(aside, { recursive: true, force: true });
}

export function parseStoredState(value: unknown): StoredState {
  return stateSchema.parse(value);
}
