// vmmeta host-setup [--bridge IF]… [--undo]: the host's half of tap mode (tap/host-setup.ts). Without --bridge,
// the interfaces come from the tap-mode VMs in the state root: each one's bridge, or its tap when routed.
// doctor's tap checks (tapChecks) report the same parts, each with its fix.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FILES } from '../../state/paths.js';
import { listVmNames } from '../../state/store.js';
import { hostSetup, hostSteps, stepDone, type StepResult } from '../../tap/host-setup.js';
import { loadedVmRules, rulesMatch, runNft } from '../../tap/nft.js';
import type { TapRules } from '../../tap/ruleset.js';
import type { Check } from './doctor.js';

export async function tapVms(root: string): Promise<TapRules[]> {
  const out: TapRules[] = [];
  for (const vm of await listVmNames(root).catch(() => [] as string[])) {
    const doc = await readFile(join(root, vm, FILES.state), 'utf8').then(
      (t) => JSON.parse(t) as { outputs?: { tap?: { device: string; bridge: string | null; port: number } } },
      () => undefined,
    );
    const t = doc?.outputs?.tap;
    if (t) out.push({ vm, device: t.device, bridge: t.bridge, port: t.port });
  }
  return out;
}

const ifaceOf = (r: TapRules) => r.bridge ?? r.device;

export async function hostSetupCommand(o: {
  root: string;
  bridges: string[];
  undo: boolean;
}): Promise<{ undo: boolean; steps: StepResult[] }> {
  const ifaces = o.bridges.length ? o.bridges : (await tapVms(o.root)).map(ifaceOf);
  return { undo: o.undo, steps: await hostSetup({ ifaces, undo: o.undo }) };
}

// For doctor: only on a host with tap-mode VMs (a connector-only host needs none of it).
export async function tapChecks(root: string): Promise<Check[]> {
  const vms = await tapVms(root);
  if (!vms.length) return [];
  const checks: Check[] = [];
  const nft = await runNft(['--version']).then(
    (r) => r.stdout.trim(),
    (err: Error) => err,
  );
  checks.push(
    typeof nft === 'string'
      ? { name: 'nft', status: 'ok', detail: nft }
      : { name: 'nft', status: 'fail', detail: nft.message, hint: 'apt install nftables' },
  );
  const fix = `vmmeta host-setup${[...new Set(vms.map(ifaceOf))].map((i) => ` --bridge ${i}`).join('')}`;
  for (const s of hostSteps(vms.map(ifaceOf))) {
    const done = await stepDone(s);
    checks.push(
      done
        ? { name: `host: ${s.id}`, status: 'ok', detail: 'in place' }
        : {
            name: `host: ${s.id}`,
            status: 'fail',
            detail: done === null ? 'no such interface' : 'missing',
            hint: done === null ? `create the interface, then: ${fix}` : `${fix}   (or: ${s.fix.join(' ')})`,
          },
    );
  }
  if (typeof nft !== 'string') return checks;
  for (const r of vms) {
    const loaded = await loadedVmRules(r.vm).catch(() => ({ bridge: null, inet: null }));
    checks.push(
      rulesMatch(r, loaded)
        ? {
            name: `rules: ${r.vm}`,
            status: 'ok',
            detail: `tables vmmeta-${r.vm} match tap ${r.device}, port ${r.port}`,
          }
        : {
            name: `rules: ${r.vm}`,
            status: 'fail',
            detail: loaded.inet === null ? 'not loaded' : 'loaded but different from what the VM needs',
            hint: `vmmeta start ${r.vm}`,
          },
    );
  }
  return checks;
}
