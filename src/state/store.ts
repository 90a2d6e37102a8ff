// The per-VM store: state.json (plain versioned JSON, re-checked with zod on read, the resolved VM included,
// like Firecracker's persisted …State structs), existence, listing and removal. Creation and in-place updates
// are staged by vm/apply.ts; this file owns what a stored VM is.
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  networkConfigSchema,
  networkSchema,
  physicalLinkSchema,
  SpecSchema,
  vmNameSchema,
  type ResolvedVm,
} from '../spec/schema.js';
import { EXIT, UserError } from '../errors.js';
import { FILES, deletingDir, parseLeftover, vmPaths, type VmPaths } from './paths.js';
import { isAlive } from './pid.js';
import { checkStateRoot, checkVmState, readNoFollow } from './secure-dir.js';

export const STATE_VERSION = 1;

const outputsSchema = z.object({
  nocloud: z.enum(['cd', 'none', 'net']),
  cdrom: z.object({ path: z.string(), bus: z.string() }).nullable(),
  configDrive: z.string().nullable(),
  listen: z.array(z.string()),
  guestfwd: z.string().nullable(),
  seedUrl: z.string().nullable(),
  // Tap mode (sidecar.path: tap): the VM's tap, its bridge (null: routed) and the sidecar port recorded at
  // create; the nftables rules are derived from these (tap/ruleset.ts). Absent: the connector path.
  tap: z.object({ device: z.string(), bridge: z.string().nullable(), port: z.number().int() }).optional(),
});
export type VmOutputs = z.infer<typeof outputsSchema>;

// A ResolvedVm as state.json holds it: the spec's fields after normalize (every default filled in), user-data as
// base64. Checked on every read, so a hand-edited or truncated state is reported, never rendered from.
const storedVmSchema = SpecSchema.omit({
  uuid: true,
  hostname: true,
  instanceId: true,
  randomSeed: true,
  userData: true,
  userDataFile: true,
  userDataBase64: true,
  network: true,
}).extend({
  uuid: SpecSchema.shape.uuid.unwrap(),
  hostname: SpecSchema.shape.hostname.unwrap(),
  instanceId: SpecSchema.shape.instanceId.unwrap(),
  // Absent in states written before the EC2 id had its own default: those VMs keep serving their instanceId.
  ec2InstanceId: z.string().min(1).optional(),
  randomSeed: z.string().min(1),
  network: networkConfigSchema,
  userDataBase64: z.string().optional(),
});
export type StoredVm = z.infer<typeof storedVmSchema>;

// A NIC plugged in by `vmmeta nic add` (vm/overrides.ts HotNic); its link and networks were checked on the way in.
const hotNicSchema = z.object({
  link: physicalLinkSchema,
  networks: z.array(networkSchema),
  backend: z.union([z.object({ type: z.literal('user') }), z.object({ type: z.literal('tap'), ifname: z.string() })]),
  port: z.number().int().nullable(),
  addedAt: z.string(),
  via: z.object({ libvirt: z.object({ domain: z.string(), uri: z.string().optional() }) }).optional(),
});

const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  name: z.string(),
  uuid: z.string(),
  randomSeed: z.string(),
  specHash: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  resolved: storedVmSchema,
  outputs: outputsSchema,
  // Added after version 1 shipped, so optional: states written before read as "nothing recorded".
  // The command-line settings `create`/`update` were given (vm/overrides.ts), and the NICs `nic add` plugged in;
  // kept by later updates.
  overrides: z
    .object({
      nocloud: z.enum(['cd', 'none', 'net']).optional(),
      configDrive: z.boolean().optional(),
      listen: z.array(z.string()).optional(),
      nics: z.array(hotNicSchema).optional(),
    })
    .optional(),
  // Each such setting's value and where it came from (flag, spec, default), for inspect and explain.
  settings: z
    .record(z.string(), z.object({ value: z.unknown(), source: z.enum(['flag', 'spec', 'default']) }))
    .optional(),
  source: z.string().optional(), // the spec file's absolute path at the last create/update
  // sha256 of files people may edit (domain.xml) as vmmeta last rendered them, to tell an edit apart.
  rendered: z.record(z.string(), z.string()).optional(),
});
export type StoredState = z.infer<typeof stateSchema>;

// ResolvedVm as JSON: user-data bytes are kept as base64 so any byte sequence survives.
export function encodeResolved(vm: ResolvedVm): StoredVm {
  const { userData, ...rest } = vm;
  return { ...rest, userDataBase64: userData ? Buffer.from(userData).toString('base64') : undefined };
}

// `stored` was checked by readState (storedVmSchema).
export function decodeResolved(stored: StoredVm): ResolvedVm {
  const { userDataBase64, ec2InstanceId, ...rest } = stored;
  const vm: ResolvedVm = { ...rest, ec2InstanceId: ec2InstanceId ?? rest.instanceId };
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
  if (!r.success)
    throw new UserError(`invalid VM name ${JSON.stringify(name)}: ${r.error.issues[0]?.message}`, {
      exitCode: EXIT.invalid,
    });
}

// Only "not there" means no VM: a state root this user cannot read (EACCES) is reported as that, not as
// "no VM named …", which would send them looking in the wrong place.
export async function vmExists(root: string, name: string): Promise<boolean> {
  try {
    return (await stat(join(root, name, FILES.state))).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
}

// What is at $root/<name>: a VM, a non-empty folder without state.json (an orphan: state.json removed or lost,
// while its sidecar may still serve), or nothing (an empty folder counts as nothing: create renames over it).
export async function vmFolderKind(root: string, name: string): Promise<'vm' | 'orphan' | 'none'> {
  if (await vmExists(root, name)) return 'vm';
  const entries = await readdir(join(root, name)).catch(() => [] as string[]);
  return entries.length ? 'orphan' : 'none';
}

export function orphanError(p: VmPaths): UserError {
  return new UserError(`${p.dir} exists but has no ${FILES.state}: its state is lost`, {
    details: [`its sidecar may still be running (see ${p.sidecarLog})`],
    hint: `rebuild it from its spec, keeping the uuid its sidecar serves: vmmeta create --force <spec.yaml>; or remove it with its sidecar: vmmeta delete ${p.name}`,
  });
}

// The paths of an existing VM, or exit 3. An orphan folder is an error of its own (exit 1), never "no VM";
// `stop` and `delete` pass orphanOk, since stopping its sidecar and removing it is what it needs.
export async function requireVm(root: string, name: string, o: { orphanOk?: boolean } = {}): Promise<VmPaths> {
  checkVmName(name);
  checkVmState(root, name); // before reading anything: another user's folder could hold planted links
  const kind = await vmFolderKind(root, name);
  if (kind === 'none') throw notFound(root, name);
  if (kind === 'orphan' && !o.orphanOk) throw orphanError(vmPaths(root, name));
  return vmPaths(root, name);
}

// A state.json that cannot be used. `create --force` rebuilds the VM from a spec, keeping what it can read.
export class DamagedStateError extends UserError {}

function readableSource(raw: string): string | undefined {
  try {
    const s = (JSON.parse(raw) as { source?: unknown }).source;
    return typeof s === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

export async function readState(p: VmPaths): Promise<StoredState> {
  let raw: string;
  try {
    raw = await readNoFollow(p.state, 'utf8');
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
    // Not the stored spec.yaml: a relative userDataFile in it is relative to the operator's folder, not ours.
    const source = readableSource(raw) ?? '<the spec file it was created from>';
    throw new DamagedStateError(`${p.state} is damaged or from another vmmeta version`, {
      details: r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
      hint: `rebuild it from its spec (the uuid is kept): vmmeta create --force ${source}`,
    });
  }
  return r.data;
}

// Which other VM in the root has this uuid (a uuid belongs to one VM on a host: libvirt refuses two domains
// with one, and cloud-init takes them for one instance). Unreadable states are skipped.
export async function uuidOwner(root: string, uuid: string, except: string): Promise<string | undefined> {
  for (const name of await listVmNames(root)) {
    if (name === except) continue;
    const stored = await readFile(join(root, name, FILES.state), 'utf8').then(
      (t) => JSON.parse(t) as { uuid?: unknown },
      () => undefined,
    );
    if (typeof stored?.uuid === 'string' && stored.uuid.toLowerCase() === uuid.toLowerCase()) return name;
  }
  return undefined;
}

// VMs and orphan folders (no state.json), for `list`.
export async function listVmFolders(root: string): Promise<Array<{ name: string; kind: 'vm' | 'orphan' }>> {
  checkStateRoot(root);
  const entries = await readdir(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const out: Array<{ name: string; kind: 'vm' | 'orphan' }> = [];
  for (const e of entries.sort()) {
    if (!vmNameSchema.safeParse(e).success) continue;
    const kind = await vmFolderKind(root, e);
    if (kind !== 'none') out.push({ name: e, kind });
  }
  return out;
}

export async function listVmNames(root: string): Promise<string[]> {
  checkStateRoot(root);
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const names: string[] = [];
  // A VM folder this user cannot look into is still listed: list shows its error rather than hiding it.
  for (const e of entries.sort())
    if (vmNameSchema.safeParse(e).success && (await vmExists(root, e).catch(() => true))) names.push(e);
  return names;
}

// A uuid belongs to one VM: refuse one that another VM in the root already has.
export async function checkUuidFree(root: string, name: string, uuid: string): Promise<void> {
  const other = await uuidOwner(root, uuid, name);
  if (other === undefined) return;
  throw new UserError(`uuid ${uuid} already belongs to VM ${other}`, {
    exitCode: EXIT.conflict,
    details: ['libvirt refuses two domains with one uuid, and cloud-init would take both guests for one instance'],
    hint: `give ${name} another uuid (or none: one is generated), or delete ${other} first`,
  });
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
