// The metadata half of `vmmeta nic add/remove`: the VM's documents re-planned with a new list of hot-plugged
// NICs (from the stored spec and resolved VM, so no spec file is needed), swapped in under the VM's lock like an
// update, and the running sidecar reloaded until it serves the new network_data.json. The instance-id, uuid and
// every other document stay as they were: only the links, networks and the EC2 macs/ tree change.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { FILES, type VmPaths } from '../state/paths.js';
import { decodeResolved, type StoredState } from '../state/store.js';
import { commitUpdate, stage } from './apply.js';
import { buildPlan, type Plan } from './plan.js';
import { specVm, type HotNic, type Overrides } from './overrides.js';
import { reloadSidecar, sidecarStatus } from './sidecar-control.js';
import { waitServing } from './serving.js';
import { domainXmlEdited } from './update.js';

// The document a NIC change is in: waiting on it tells that the sidecar swapped its tree (it swaps all at once).
export const NETWORK_DOCUMENTS = ['/openstack/latest/network_data.json', '/latest/meta-data/network/interfaces/macs/'];

export function storedNics(state: StoredState): HotNic[] {
  return (state.overrides?.nics ?? []) as HotNic[];
}

export async function planWithNics(p: VmPaths, state: StoredState, nics: HotNic[]): Promise<Plan> {
  const text = await readFile(p.spec, 'utf8');
  const base = specVm(decodeResolved(state.resolved), state.overrides as Overrides | undefined);
  const { nics: _old, ...rest } = (state.overrides ?? {}) as Overrides;
  void _old;
  const overrides: Overrides = nics.length ? { ...rest, nics } : rest;
  return buildPlan({ text, vm: base, raw: parseYaml(text) as unknown }, overrides, p);
}

export interface Swapped {
  sidecar: 'reloaded' | 'not running';
  undo(): Promise<void>; // the previous documents back, served again
  done(): Promise<void>; // keep the new ones: drop the old files kept aside
}

// Swaps the plan's files in and makes the running sidecar serve them. On failure everything is as before.
export async function swapDocuments(p: VmPaths, state: StoredState, plan: Plan, now: Date): Promise<Swapped> {
  const secrets = await readFile(p.secrets, 'utf8').catch(() => undefined);
  const keepDomainXml = await domainXmlEdited(p, state);
  const staged = await stage(
    plan,
    p,
    {
      now,
      createdAt: state.createdAt,
      keepDomainXml,
      ...(state.source ? { source: state.source } : {}),
      ...(secrets ? { secrets } : {}),
    },
    false,
  );
  const committed = await commitUpdate(staged, p, keepDomainXml ? [FILES.domainXml] : []);
  const reload = async (): Promise<boolean> => {
    const status = await sidecarStatus(p);
    if (status.state !== 'running' || !status.info) return false;
    await reloadSidecar(p, status.info);
    return true;
  };
  try {
    const status = await sidecarStatus(p);
    let sidecar: Swapped['sidecar'] = 'not running';
    if (status.state === 'running' && status.info) {
      await reloadSidecar(p, status.info);
      await waitServing(status.info, plan, 5000, NETWORK_DOCUMENTS);
      sidecar = 'reloaded';
    }
    // The old files are kept until the caller knows the hypervisor side worked.
    return {
      sidecar,
      undo: async () => {
        await committed.restore();
        await reload();
      },
      done: () => committed.discard(),
    };
  } catch (err) {
    await committed.restore();
    await reload().catch(() => false);
    throw err;
  }
}
