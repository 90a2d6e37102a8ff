// vmmeta explain <spec|vm>: which datasource cloud-init will pick and why. For a spec, as `create` would set it
// up (sidecar answering); for a created VM, from its stored outputs and whether its sidecar runs right now.
import { stat } from 'node:fs/promises';
import { loadSpecFile } from '../../spec/load.js';
import type { Smbios } from '../../hypervisor/smbios.js';
import { predictDatasource, type Verdict } from '../../guest/verdict.js';
import { vmPaths } from '../../state/paths.js';
import { buildPlan } from '../../vm/plan.js';
import { mergeOverrides, type OverrideFlags, type Settings } from '../../vm/overrides.js';
import { sidecarStatus } from '../../vm/sidecar-control.js';
import { verdictInput } from '../../vm/verdict-input.js';
import { loadStoredVm } from '../../vm/stored-vm.js';
import { hotplugSummary, HOTPLUG_GENERATIONS, type HotplugSummary } from '../../spec/hotplug.js';
import { DEFAULT_ROOT_PORTS } from '../../hypervisor/qemu-args.js';
import type { ResolvedVm } from '../../spec/schema.js';
import { generationWarnings } from '../../spec/generation-rules.js';

export interface ExplainResult {
  source: 'spec' | 'vm';
  target: string;
  name: string;
  arch: string;
  cloudInit: string;
  smbios: Smbios;
  disks: { cidata: boolean; config2: boolean };
  sidecar: boolean;
  predicted: string | null;
  reasons: string[];
  warnings: string[];
  verdict: Verdict;
  settings: Settings | null; // the NoCloud mode, config drive and listen addresses, and where each came from
  hotplug: HotplugSummary & { generations: Record<string, boolean> }; // which cloud-init generations act on a hot-plugged NIC
}

function hotplugOf(vm: ResolvedVm): ExplainResult['hotplug'] {
  const generations = Object.fromEntries(
    Object.entries(HOTPLUG_GENERATIONS).map(([g, v]) => [g, v.acts && Boolean(vm.hotplug?.network)]),
  );
  return { ...hotplugSummary(vm, DEFAULT_ROOT_PORTS), generations };
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

export async function explain(
  o: { root: string; target: string; userDataOutside?: boolean } & OverrideFlags,
): Promise<ExplainResult> {
  const looksLikeFile = (await isFile(o.target)) || /[/.]/.test(o.target);
  if (looksLikeFile) {
    const loaded = await loadSpecFile(o.target, { userDataOutside: o.userDataOutside });
    const plan = buildPlan(loaded, mergeOverrides({}, o, loaded.vm), vmPaths(o.root, loaded.vm.name));
    const input = verdictInput(plan.vm, plan.smbios, plan.outputs, { sidecar: true });
    return {
      ...result(
        'spec',
        o.target,
        plan.vm.name,
        input,
        plan.smbios,
        plan.verdict,
        plan.settings,
        generationWarnings(plan.vm),
      ),
      hotplug: hotplugOf(plan.vm),
    };
  }
  const { p, state, vm, smbios } = await loadStoredVm(o.root, o.target);
  const running = (await sidecarStatus(p)).state === 'running';
  const input = verdictInput(vm, smbios, state.outputs, { sidecar: running });
  return {
    ...result(
      'vm',
      o.target,
      vm.name,
      input,
      smbios,
      predictDatasource(input),
      (state.settings as Settings | undefined) ?? null,
      generationWarnings(vm),
    ),
    hotplug: hotplugOf(vm),
  };
}

function result(
  source: 'spec' | 'vm',
  target: string,
  name: string,
  input: ReturnType<typeof verdictInput>,
  smbios: Smbios,
  verdict: Verdict,
  settings: Settings | null,
  generation: string[],
): Omit<ExplainResult, 'hotplug'> {
  return {
    source,
    target,
    name,
    arch: input.arch,
    cloudInit: input.cloudInit,
    smbios,
    disks: input.disks,
    sidecar: input.sidecar.openstack,
    predicted: verdict.winner,
    reasons: verdict.reasons,
    // The verdict's, then what the named generation renders wrongly in this spec (spec/generation-rules.ts).
    warnings: [...verdict.warnings, ...generation],
    verdict,
    settings,
  };
}
