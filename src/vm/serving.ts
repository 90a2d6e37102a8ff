// After SIGHUP, wait until the sidecar serves the new documents, so `update` returns only once a guest would
// read them (the sidecar swaps its whole tree at once, so one document tells).
import type { Plan } from './plan.js';
import type { SidecarInfo } from '../sidecar/files.js';
import { httpGet, PROBE_QUERY } from './probe.js';
import { UserError } from '../errors.js';

const PREFERRED = ['/openstack/latest/meta_data.json', '/latest/meta-data/instance-id'];

// `prefer`: the document the change is in (a hot-plugged NIC changes network_data.json, not meta_data.json).
function probeTarget(info: SidecarInfo, plan: Plan, prefer: readonly string[] = PREFERRED) {
  const path = prefer.find((p) => plan.httpTree.has(p)) ?? [...plan.httpTree.keys()].find((k) => !k.endsWith('/'));
  const listener = info.listen[0];
  return path && listener ? { path, listener, want: Buffer.from(plan.httpTree.get(path)!) } : undefined;
}

// One probe: does the running sidecar answer with this plan's bytes? (A sidecar with nothing to probe counts as yes.)
export async function servesPlan(info: SidecarInfo, plan: Plan, prefer?: readonly string[]): Promise<boolean> {
  const t = probeTarget(info, plan, prefer);
  if (!t) return true;
  const got = await httpGet(t.listener, `${t.path}?${PROBE_QUERY}`, 1000).catch(() => undefined);
  return got?.status === 200 && got.body.equals(t.want);
}

export async function waitServing(
  info: SidecarInfo,
  plan: Plan,
  timeoutMs = 5000,
  prefer?: readonly string[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await servesPlan(info, plan, prefer))) {
    if (Date.now() > deadline) {
      throw new UserError(
        `the sidecar (pid ${info.pid}) still serves the old documents ${timeoutMs / 1000} s after SIGHUP`,
        {
          hint: 'see sidecar.log in the VM folder, or restart it: vmmeta stop <vm> && vmmeta start <vm>',
        },
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
