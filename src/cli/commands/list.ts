// vmmeta list: every VM in the state root with its sidecar state (checked live) and predicted datasource.
// A VM whose state cannot be read is listed with its error instead of failing the whole list.
import { vmPaths } from '../../state/paths.js';
import { listVmNames } from '../../state/store.js';
import { sidecarSummary, type SidecarSummary } from '../summary.js';
import { viewVm } from '../vm-view.js';

export interface ListEntry {
  name: string;
  uuid: string | null;
  nocloud: string | null;
  datasource: string | null;
  sidecar: { state: string; answering: boolean } & Partial<SidecarSummary>;
  error?: string;
}

export async function list(o: { root: string }): Promise<{ root: string; vms: ListEntry[] }> {
  const names = await listVmNames(o.root);
  const vms = await Promise.all(
    names.map(async (name): Promise<ListEntry> => {
      try {
        const v = await viewVm(vmPaths(o.root, name));
        return {
          name,
          uuid: v.vm.uuid,
          nocloud: v.state.outputs.nocloud,
          datasource: v.verdict.winner,
          sidecar: { state: v.sidecar.state, answering: v.answering, ...(sidecarSummary(v.sidecar.info) ?? {}) },
        };
      } catch (err) {
        return { name, uuid: null, nocloud: null, datasource: null, sidecar: { state: 'unknown', answering: false }, error: (err as Error).message };
      }
    }),
  );
  return { root: o.root, vms };
}
