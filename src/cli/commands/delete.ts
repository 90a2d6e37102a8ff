// vmmeta delete <vm>: stop the sidecar, then remove the state folder (renamed aside first, so a delete killed
// half-way never leaves something that looks like a VM). A missing VM is exit 3.
import { acquireLock, releaseLock } from '../../state/lock.js';
import { readState, removeVm, requireVm } from '../../state/store.js';
import { removeVmRules } from '../../tap/engine.js';
import { stopSidecar } from '../../vm/sidecar-control.js';

export interface DeleteResult {
  name: string;
  dir: string;
  stopped: number[];
}

export async function deleteVm(o: { root: string; vm: string }): Promise<DeleteResult> {
  const p = await requireVm(o.root, o.vm, { orphanOk: true }); // a folder without state.json goes too
  // The lock goes away with the folder: never released, so no other command can slip in between.
  await acquireLock(p.dir, o.vm);
  let stopped: number[];
  try {
    // Rules first: if nft cannot drop them, the VM (and its sidecar) stay as they were.
    const state = await readState(p).catch(() => undefined);
    if (state?.outputs.tap) await removeVmRules(p.name);
    ({ stopped } = await stopSidecar(p));
    await removeVm(p);
  } catch (err) {
    await releaseLock(p.dir);
    throw err;
  }
  return { name: o.vm, dir: p.dir, stopped };
}
