// What `create --force` keeps of a VM whose state.json is damaged or gone: its uuid (from what is left of
// state.json, else from served.json, which the sidecar serves), random seed, creation time and recorded
// settings. Losing the uuid would make the guest a new instance, so it is worth the digging.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { generateIds } from '../spec/ids.js';
import { uuidSchema } from '../spec/schema.js';
import { STATE_VERSION, type StoredState } from '../state/store.js';
import type { VmPaths } from '../state/paths.js';
import type { Overrides } from './overrides.js';

async function readJson(path: string): Promise<Record<string, unknown>> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

function overridesOf(v: unknown): Overrides {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const out: Overrides = {};
  if (o.nocloud === 'cd' || o.nocloud === 'none' || o.nocloud === 'net') out.nocloud = o.nocloud;
  if (typeof o.configDrive === 'boolean') out.configDrive = o.configDrive;
  if (Array.isArray(o.listen) && o.listen.length && o.listen.every((l) => typeof l === 'string'))
    out.listen = o.listen as string[];
  return out;
}

// A recovered state has no resolved VM: the spec given to `create --force` provides it.
export type RecoveredState = Omit<StoredState, 'resolved'>;

export async function recoverState(p: VmPaths): Promise<RecoveredState> {
  const old = await readJson(p.state);
  const served = await readJson(p.served);
  const fresh = generateIds((n) => new Uint8Array(randomBytes(n)));
  const uuid = [old.uuid, served.uuid].map((u) => uuidSchema.safeParse(u)).find((r) => r.success)?.data ?? fresh.uuid;
  const now = new Date().toISOString();
  const source = str(old.source);
  return {
    version: STATE_VERSION,
    name: p.name,
    uuid,
    randomSeed: str(old.randomSeed) ?? fresh.randomSeed,
    specHash: '', // never equal: everything is rewritten
    createdAt: str(old.createdAt) ?? now,
    updatedAt: now,
    // Unknown: the sidecar is restarted and the files rewritten whatever they were.
    outputs: { nocloud: 'cd', cdrom: null, configDrive: null, listen: [], guestfwd: null, seedUrl: null },
    overrides: overridesOf(old.overrides),
    ...(source ? { source } : {}),
  };
}
