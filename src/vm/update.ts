// `create` of an existing VM, and `vmmeta update`, under the VM's lock. All or nothing, like a new VM: the new
// files are swapped in with the old ones kept aside, and if the sidecar then cannot serve them the old files go
// back and the old sidecar serves again; the error says so. Recorded command-line settings are kept
// (overrides.ts), the derived files are checked and rebuilt when damaged, and an edited domain.xml is kept.
import { recordedIds } from '../spec/ids.js';
import { readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadSpecFile } from '../spec/load.js';
import { FILES, type VmPaths } from '../state/paths.js';
import { readSecrets } from '../state/secrets.js';
import { checkUuidFree, DamagedStateError, readState, type StoredState } from '../state/store.js';
import { EXIT, UserError } from '../errors.js';
import { buildPlan, sha256, type Plan } from './plan.js';
import { mergeOverrides } from './overrides.js';
import { commitUpdate, stage } from './apply.js';
import { bootChanges } from './changes.js';
import { derivedDamage } from './derived.js';
import { ensureSidecar, reloadSidecar, sidecarStatus, stopSidecar } from './sidecar-control.js';
import type { SidecarInfo } from '../sidecar/files.js';
import { servesPlan, waitServing } from './serving.js';
import { storedPrediction } from './vm-view.js';
import { recoverState, type RecoveredState } from './recover.js';
import { progress, result, type CreateOptions, type CreateResult } from './create-result.js';
import {
  ensureVmRules,
  installVmRules,
  preflightRules,
  removeVmRules,
  settleTap,
  tapRules,
  type TapRules,
} from '../tap/engine.js';

export async function updateExisting(o: CreateOptions, p: VmPaths): Promise<CreateResult> {
  let stored: StoredState | undefined;
  let state: RecoveredState;
  try {
    state = stored = await readState(p);
  } catch (err) {
    // --force rebuilds a VM whose state.json is damaged (the hint of DamagedStateError says so) or gone.
    if (!o.force || !(err instanceof DamagedStateError || (err instanceof UserError && err.exitCode === EXIT.notFound)))
      throw err;
    state = await recoverState(p);
  }
  const recovered = stored === undefined;
  const loaded = await loadSpecFile(o.spec, { ids: recordedIds(state), userDataOutside: o.userDataOutside });
  const settled = { ...loaded, vm: await settleTap(p.root, loaded.vm, state.outputs.tap?.port) };
  const plan = buildPlan(settled, mergeOverrides(state.overrides ?? {}, o, settled.vm), p);
  const rules = tapRules(p.name, plan.outputs);
  const oldRules = recovered ? null : tapRules(p.name, state.outputs);
  let repaired: string[] = recovered ? [FILES.state] : [];
  if (!recovered && plan.specHash === state.specHash) {
    repaired = (await derivedDamage(p, plan)).map((d) => d.file);
    if (!repaired.length) return withRules(await unchanged(o, p, plan), rules);
  } else {
    checkLoss(state, plan, o);
    checkSource(state, o);
    if (plan.vm.uuid !== state.uuid) await checkUuidFree(p.root, p.name, plan.vm.uuid);
  }
  await preflightRules(rules, oldRules); // nft missing or refusing: nothing is written
  const oldSecrets = await readSecrets(p.secrets); // the key survives an update, so issued IMDSv2 tokens stay valid
  const secrets = oldSecrets.ok ? oldSecrets.text : undefined;
  const keepDomainXml = await domainXmlEdited(p, state);
  const before = await sidecarStatus(p);
  const staged = await stage(
    plan,
    p,
    {
      now: (o.now ?? (() => new Date()))(),
      createdAt: state.createdAt,
      source: resolve(o.spec),
      keepDomainXml,
      ...(secrets ? { secrets } : {}),
      ...progress(o),
    },
    false,
  );
  const committed = await commitUpdate(staged, p, keepDomainXml ? [FILES.domainXml] : []);
  let refreshed: { info: SidecarInfo | null; action: CreateResult['sidecarAction'] };
  try {
    refreshed = await refreshSidecar(o, p, plan, state, recovered);
    // One transaction each: the old tables are swapped for the new, or dropped when the VM leaves tap mode.
    if (rules) await installVmRules(rules);
    else if (oldRules) await removeVmRules(p.name);
  } catch (err) {
    await committed.restore();
    throw await rolledBack(err, p, before.state === 'running' || before.state === 'starting', o);
  }
  await committed.discard();
  if (plan.vm.uuid !== state.uuid) await rm(p.password, { force: true }); // the old instance's password
  const changes = stored
    ? bootChanges(
        { outputs: stored.outputs, predicted: storedPrediction(stored, true).winner },
        { outputs: plan.outputs, predicted: plan.verdict.winner },
      )
    : [];
  const kept = keepDomainXml
    ? [
        {
          file: p.domainXml,
          copy: p.domainXmlCopy,
          message: `${FILES.domainXml} was edited: kept as it is; vmmeta's new copy is ${p.domainXmlCopy} (or apply the changes with: vmmeta libvirt patch ${p.domainXml} ${p.name} --in-place)`,
        },
      ]
    : [];
  return {
    ...result(p, plan, refreshed.info),
    action: 'updated',
    sidecarAction: refreshed.action,
    changes,
    repaired,
    kept,
    ...(rules ? { rules: 'installed' as const } : oldRules ? { rules: 'removed' as const } : {}),
  };
}

// A no-op create or update still puts back rules someone flushed (a reboot, `nft flush ruleset`).
async function withRules(r: CreateResult, rules: TapRules | null): Promise<CreateResult> {
  return rules ? { ...r, rules: await ensureVmRules(rules) } : r;
}

// Same spec, files intact: make sure the sidecar serves this plan. `update` leaves a stopped sidecar stopped
// (docs/cli.md); `create` starts it.
async function unchanged(o: CreateOptions, p: VmPaths, plan: Plan): Promise<CreateResult> {
  const base = { ...result(p, plan, null), action: 'unchanged' as const };
  if (o.start === false) return { ...base, sidecarAction: 'not started' };
  const status = await sidecarStatus(p);
  if (o.vm !== undefined && status.state !== 'running' && status.state !== 'starting')
    return { ...base, sidecarAction: 'not started' };
  const { info, started } = await ensureSidecar(p, progress(o));
  if (!started && !(await servesPlan(info, plan))) {
    // An earlier update committed the files but was killed before the sidecar reloaded them.
    await reloadSidecar(p, info);
    await waitServing(info, plan);
    return { ...result(p, plan, info), action: 'unchanged', sidecarAction: 'reloaded' };
  }
  return { ...result(p, plan, info), action: 'unchanged', sidecarAction: started ? 'started' : 'kept' };
}

// A running sidecar reloads served.json on SIGHUP; new listen addresses need a restart.
async function refreshSidecar(
  o: CreateOptions,
  p: VmPaths,
  plan: Plan,
  state: RecoveredState,
  recovered: boolean,
): Promise<{ info: SidecarInfo | null; action: CreateResult['sidecarAction'] }> {
  const status = await sidecarStatus(p);
  const sameListen = !recovered && JSON.stringify(state.outputs.listen) === JSON.stringify(plan.outputs.listen);
  // A change of sidecar.mode moves the VM between its own process and the host: a restart, as for new listeners.
  const sameMode = (status.info?.host === true) === (plan.vm.sidecar.mode === 'host');
  if (status.state === 'running' && status.info && sameListen && sameMode) {
    await reloadSidecar(p, status.info);
    await waitServing(status.info, plan);
    return { info: status.info, action: 'reloaded' };
  }
  const wasUp = status.state === 'running' || status.state === 'starting';
  if (wasUp) await stopSidecar(p);
  // update leaves a stopped sidecar stopped (someone stopped it, or systemd owns it); create makes it run.
  if (!wasUp && (o.start === false || o.vm !== undefined)) return { info: null, action: 'not started' };
  return { info: (await ensureSidecar(p, progress(o))).info, action: wasUp ? 'restarted' : 'started' };
}

// The old files are back; bring the old sidecar back too, and say both.
async function rolledBack(err: unknown, p: VmPaths, wasUp: boolean, o: CreateOptions): Promise<unknown> {
  if (!(err instanceof UserError)) return err;
  let sidecar = 'its sidecar was not running and stays stopped';
  if (wasUp) {
    const now = await sidecarStatus(p);
    try {
      if (now.state === 'running' && now.info) {
        await reloadSidecar(p, now.info); // still the old process: make it drop anything it may have loaded
        sidecar = `its sidecar (pid ${now.info.pid}) serves them`;
      } else {
        const { info } = await ensureSidecar(p, progress(o));
        sidecar = `its sidecar was restarted on them (pid ${info.pid})`;
      }
    } catch (again) {
      sidecar = `but its sidecar could not be restarted (${(again as Error).message}): vmmeta start ${p.name}`;
    }
  }
  return new UserError(`update of ${p.name} failed: ${err.message}`, {
    exitCode: err.exitCode,
    details: [...err.details, `nothing changed: ${p.name} keeps its previous documents and settings, and ${sidecar}`],
    ...(err.hint ? { hint: err.hint } : {}),
  });
}

function checkLoss(state: RecoveredState, plan: Plan, o: CreateOptions): void {
  if (plan.vm.uuid === state.uuid || o.force) return;
  throw new UserError(`the spec changes the uuid of ${plan.vm.name} from ${state.uuid} to ${plan.vm.uuid}`, {
    exitCode: EXIT.conflict,
    details: [
      'cloud-init would treat the guest as a new instance: new host keys, per-instance modules run again, the stored password dropped',
    ],
    hint: `re-run with --force if that is what you want: vmmeta create --force ${o.spec}`,
  });
}

// `create` from another spec file than the VM was made from would replace its keys and user-data under the
// same name: that takes `update <vm>` (which names the VM) or --force.
function checkSource(state: RecoveredState, o: CreateOptions): void {
  if (o.vm !== undefined || o.force || state.source === undefined || state.source === resolve(o.spec)) return;
  throw new UserError(`${state.name} already exists, created from ${state.source}, not ${o.spec}`, {
    exitCode: EXIT.conflict,
    details: [`${o.spec} would replace its spec: ssh keys, user-data, networks`],
    hint: `if that is meant: vmmeta update ${state.name} ${o.spec} (or create --force); for a second VM, give the spec another name`,
  });
}

// domain.xml is a starter for people to adjust ("then: virsh define"): an edit is theirs to keep.
export async function domainXmlEdited(p: VmPaths, state: RecoveredState): Promise<boolean> {
  const want = state.rendered?.[FILES.domainXml];
  if (want === undefined) return false;
  const text = await readFile(p.domainXml).catch(() => undefined);
  return text !== undefined && sha256(text) !== want;
}
