// vmmeta list: every VM in the state root with its sidecar state (checked live) and predicted datasource.
// A VM whose state cannot be read is listed with its error instead of failing the whole list.
import { vmPaths } from '../../state/paths.js';
import { FILES } from '../../state/paths.js';
import { listVmFolders } from '../../state/store.js';
import { sidecarStatus } from '../../vm/sidecar-control.js';
import { sidecarSummary, type SidecarSummary } from '../../vm/summary.js';
import { viewVm } from '../../vm/vm-view.js';

export interface ListEntry {
  name: string;
  uuid: string | null;
  nocloud: string | null;
  datasource: string | null;
  sidecar: { state: string; answering: boolean } & Partial<SidecarSummary>;
  error?: string;
}

export async function list(o: { root: string }): Promise<{ root: string; vms: ListEntry[] }> {
  const folders = await listVmFolders(o.root);
  const vms = await Promise.all(
    folders.map(async ({ name, kind }): Promise<ListEntry> => {
      if (kind === 'orphan') {
        // Listed, not hidden: its sidecar may still serve (stop or delete it; create --force rebuilds it).
        const s = await sidecarStatus(vmPaths(o.root, name));
        return {
          name,
          uuid: null,
          nocloud: null,
          datasource: null,
          sidecar: { state: s.state, answering: false, ...(s.pid ? { pid: s.pid } : {}) },
          error: `no ${FILES.state} (state lost)`,
        };
      }
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
        return {
          name,
          uuid: null,
          nocloud: null,
          datasource: null,
          sidecar: { state: 'unknown', answering: false },
          error: (err as Error).message,
        };
      }
    }),
  );
  return { root: o.root, vms };
}
