// vmmeta start|stop <vm>: control the sidecar under the VM's lock. start returns once the sidecar answers;
// stop returns once its pid is gone. Both are idempotent (the libvirt hook calls them on every boot).
import { withVmLock } from '../../state/lock.js';
import { readState, requireVm } from '../../state/store.js';
import { ensureVmRules, tapRules } from '../../tap/engine.js';
import { ensureSidecar, stopSidecar } from '../../vm/sidecar-control.js';
import { sidecarSummary, type SidecarSummary } from '../../vm/summary.js';

export interface StartStopResult {
  name: string;
  action: 'started' | 'already running' | 'stopped' | 'not running';
  sidecar: SidecarSummary | null;
  pids: number[]; // the sidecar processes that ended (none in host mode)
  host?: number; // host mode: the pid of the `vmmeta host` that stopped serving the VM and keeps running
  rules?: 'kept' | 'installed'; // tap mode: whether start had to put the VM's nftables rules back
}

export async function start(o: {
  root: string;
  vm: string;
  progress?: (line: string) => void;
}): Promise<StartStopResult> {
  const p = await requireVm(o.root, o.vm);
  return withVmLock(
    p.dir,
    async () => {
      const { info, started } = await ensureSidecar(p, o.progress ? { progress: o.progress } : {});
      // Tap mode: rules lost since create (a reboot, a flush) come back with the sidecar.
      const rules = tapRules(o.vm, (await readState(p)).outputs);
      const ruleAction = rules ? await ensureVmRules(rules) : undefined;
      return {
        name: o.vm,
        action: started ? 'started' : 'already running',
        sidecar: sidecarSummary(info),
        pids: [info.pid],
        ...(ruleAction ? { rules: ruleAction } : {}),
      };
    },
    o.vm,
  );
}

export async function stop(o: { root: string; vm: string }): Promise<StartStopResult> {
  const p = await requireVm(o.root, o.vm, { orphanOk: true }); // an orphan's sidecar can still be stopped
  return withVmLock(
    p.dir,
    async () => {
      // Host mode: the host stops serving this VM and keeps it stopped across its own restarts; it keeps running.
      const { stopped, host } = await stopSidecar(p, { stop: true });
      return {
        name: o.vm,
        action: stopped.length || host !== undefined ? 'stopped' : 'not running',
        sidecar: null,
        pids: stopped,
        ...(host !== undefined ? { host } : {}),
      };
    },
    o.vm,
  );
}
