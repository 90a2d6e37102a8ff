// vmmeta inspect <vm>: everything about one VM and what is wrong with it. Only reads: a stale pid or a leftover
// staging folder is reported, never cleaned up. Secrets (user-data, passwords, vendor-data, the token key) are
// redacted unless --show-secrets.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseLeftover } from '../../state/paths.js';
import { isAlive } from '../../state/pid.js';
import { requireVm } from '../../state/store.js';
import type { Smbios } from '../../hypervisor/smbios.js';
import { readAccessLog, type AccessRecord } from '../../vm/access-log.js';
import { inspectWarnings, type Warning } from '../../vm/inspect-warnings.js';
import type { ProbeResult } from '../../vm/probe.js';
import { sidecarSummary, type SidecarSummary } from '../../vm/summary.js';
import type { HostView } from '../../vm/vm-view.js';
import { viewVm } from '../../vm/vm-view.js';
import { readSecrets } from '../../state/secrets.js';
import { tapRules } from '../../tap/engine.js';
import { tapPathView, tapPathWarnings, type TapPathView } from '../../tap/live.js';
import { buildPlan } from '../../vm/plan.js';
import { derivedDamage, type Damage } from '../../vm/derived.js';
import { specVm, type HotNic, type Overrides, type Settings } from '../../vm/overrides.js';
import { hotplugView, hotplugWarnings, type HotplugView } from '../../vm/hotplug-view.js';
import { REDACTED } from '../output.js';

export interface InspectResult {
  name: string;
  dir: string;
  uuid: string;
  hostname: string;
  instanceId: string;
  createdAt: string;
  updatedAt: string;
  spec: {
    file: string;
    availabilityZone: string;
    sshKeys: string[];
    links: Array<{ id: string; type: string; mac: string }>;
    networks: Array<{ link: string; type: string; address?: string }>;
    userData: { bytes: number; sha256: string; content: string } | null;
    adminPassword: string | null;
    vendorData: unknown;
    guest: { arch: string; cloudInit: string };
  };
  documents: { meta: string; files: number; formats: Record<string, number> }; // meta/<format>/… file counts
  smbios: Smbios;
  nocloud: string;
  cdrom: { attached: boolean; path: string | null; bus: string | null; present: boolean };
  configDrive: { attached: boolean; path: string | null };
  qemu: { argsFile: string; guestfwd: string | null };
  datasource: { predicted: string | null; reasons: string[] };
  sidecar: {
    state: string;
    pid: number | null;
    answering: boolean;
    probes: ProbeResult[];
    uptimeSeconds: number | null;
    hostProcess?: HostView;
  } & Omit<Partial<SidecarSummary>, 'pid'>;
  requests: { total: number; last: AccessRecord[]; firstAt: string | null; lastAt: string | null };
  secrets: { tokenKey: string | null; password: string | null };
  hotplug: HotplugView; // which generations act on a hot-plugged NIC; NICs from nic add and whether the guest re-read network_data.json
  settings: Settings | null; // NoCloud mode, config drive, listen addresses and where each came from (null: not recorded)
  damaged: Damage[]; // generated files missing or not what state.json says (create/update rebuild them)
  tapPath: TapPathView | null; // tap mode: the path, live
  warnings: Warning[];
}

export async function inspect(o: {
  root: string;
  vm: string;
  showSecrets?: boolean;
  requests?: number;
  now?: number;
}): Promise<InspectResult> {
  const p = await requireVm(o.root, o.vm);
  const v = await viewVm(p);
  const hide = (s: string | null | undefined) => (s == null ? null : o.showSecrets ? s : REDACTED);
  const guest = (await readAccessLog(p.accessLog)).filter((e) => !e.probe);
  const leftovers = (await readdir(o.root).catch(() => [] as string[])).filter((e) => {
    const l = parseLeftover(e);
    return l?.name === o.vm && !isAlive(l.pid);
  });
  const meta = await listFiles(p.meta);
  const ud = v.vm.userData;
  const stored = await readSecrets(p.secrets);
  const secrets = (stored.ok ? JSON.parse(stored.text) : {}) as { tokenKey?: string };
  const password = await readFile(p.password, 'utf8').catch(() => null);
  const cdPresent = await readFile(p.cidataIso).then(
    () => true,
    () => false,
  );
  const now = o.now ?? Date.now();
  // Every generated file follows from state.json and spec.yaml: rebuild the plan and compare (reads only).
  const specText = await readFile(p.spec, 'utf8').catch(() => '');
  const overrides = (v.state.overrides ?? {}) as Overrides;
  const plan = buildPlan({ text: specText, vm: specVm(v.vm, overrides), raw: undefined }, overrides, p);
  const hotplug = hotplugView(v.vm, (overrides.nics ?? []) as HotNic[], guest);
  const damaged = await derivedDamage(p, plan);
  const damage: Warning[] = damaged.length
    ? [
        {
          code: 'derived-damaged',
          message: `generated files missing or damaged: ${damaged.map((d) => `${d.file} (${d.problem})`).join(', ')}`,
          hint: `rebuild them: vmmeta update ${v.vm.name} <spec.yaml> (or vmmeta create <spec.yaml>)`,
        },
      ]
    : [];
  const startedAt = v.sidecar.info?.startedAt;
  const rules = tapRules(v.vm.name, v.state.outputs);
  const tap = rules ? await tapPathView(rules, guest) : null;
  return {
    name: v.vm.name,
    dir: p.dir,
    uuid: v.vm.uuid,
    hostname: v.vm.hostname,
    instanceId: v.vm.instanceId,
    createdAt: v.state.createdAt,
    updatedAt: v.state.updatedAt,
    spec: {
      file: p.spec,
      availabilityZone: v.vm.availabilityZone,
      sshKeys: v.vm.sshKeys.map((k) => k.name),
      links: v.vm.network.links.map((l) => ({ id: l.id, type: l.type, mac: l.mac })),
      networks: v.vm.network.networks.map((n) => ({
        link: n.link,
        type: n.type,
        ...('address' in n ? { address: n.address } : {}),
      })),
      userData: ud
        ? {
            bytes: ud.length,
            sha256: createHash('sha256').update(ud).digest('hex'),
            content: hide(Buffer.from(ud).toString('utf8'))!,
          }
        : null,
      adminPassword: hide(v.vm.adminPassword),
      vendorData: v.vm.vendorData === undefined ? null : o.showSecrets ? v.vm.vendorData : REDACTED,
      guest: { arch: v.vm.guest.arch, cloudInit: v.vm.guest.cloudInit },
    },
    documents: { meta: p.meta, files: meta.length, formats: countByFormat(meta.map((f) => relative(p.meta, f))) },
    smbios: v.smbios,
    nocloud: v.state.outputs.nocloud,
    cdrom: {
      attached: v.state.outputs.cdrom !== null,
      path: v.state.outputs.cdrom?.path ?? null,
      bus: v.state.outputs.cdrom?.bus ?? null,
      present: cdPresent,
    },
    configDrive: { attached: v.state.outputs.configDrive !== null, path: v.state.outputs.configDrive },
    qemu: { argsFile: p.qemuArgsTxt, guestfwd: v.state.outputs.guestfwd },
    datasource: { predicted: v.verdict.winner, reasons: v.verdict.reasons },
    sidecar: {
      state: v.sidecar.state,
      pid: v.sidecar.pid ?? null,
      answering: v.answering,
      probes: v.probes,
      uptimeSeconds:
        v.sidecar.state === 'running' && startedAt
          ? Math.max(0, Math.round((now - Date.parse(startedAt)) / 1000))
          : null,
      ...(sidecarSummary(v.sidecar.info) ?? {}),
      // Host mode: what the state root's `vmmeta host` says of this VM (a failed load names its file and why).
      ...(v.host ? { hostProcess: v.host } : {}),
    },
    requests: {
      total: guest.length,
      last: guest.slice(-(o.requests ?? 10)).map(({ raw: _raw, probe: _probe, ...e }) => e),
      firstAt: guest[0]?.time ?? null,
      lastAt: guest.at(-1)?.time ?? null,
    },
    secrets: { tokenKey: hide(secrets.tokenKey), password: hide(password) },
    hotplug,
    settings: (v.state.settings as Settings | undefined) ?? null,
    damaged,
    tapPath: tap,
    warnings: [
      ...damage,
      ...inspectWarnings(v, guest, leftovers),
      ...hotplugWarnings(hotplug, v.vm.name, now),
      ...(tap ? tapPathWarnings(tap, v.vm.name) : []),
    ],
  };
}

function countByFormat(paths: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of paths) {
    const format = p.split('/')[0]!;
    out[format] = (out[format] ?? 0) + 1;
  }
  return out;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(path)));
    else out.push(path);
  }
  return out;
}
