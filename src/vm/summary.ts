// The document `create` and `update` return (printed by output.ts, or as-is with --json): every path and value
// a script needs to start the guest.
import type { Smbios } from '../hypervisor/smbios.js';
import type { VmPaths } from '../state/paths.js';
import type { Plan } from './plan.js';
import type { SidecarInfo } from '../sidecar/files.js';
import { listenerAddress, listenerUrl } from './probe.js';

export interface SidecarSummary {
  pid: number;
  startedAt: string;
  listen: Array<{ address: string; url?: string }>;
  host?: true; // served by the state root's `vmmeta host` (pid is the host's), not by a process of its own
}

export interface VmSummary {
  name: string;
  dir: string;
  uuid: string;
  hostname: string;
  instanceId: string;
  nocloud: 'cd' | 'none' | 'net';
  cdrom: { path: string; bus: string } | null;
  configDrive: string | null;
  seedUrl: string | null;
  tap: { device: string; bridge: string | null; port: number } | null; // sidecar.path: tap
  smbios: Smbios;
  qemu: { argv: string[]; guestfwd: string | null; files: { txt: string; sh: string; json: string } };
  libvirt: { domainXml: string; sysinfoXml: string };
  datasource: { predicted: string | null; reasons: string[]; warnings: string[] };
  files: {
    spec: string;
    state: string;
    served: string;
    meta: string;
    secrets: string;
    smbios: string;
    sidecarLog: string;
    accessLog: string;
  };
  sidecar: SidecarSummary | null;
}

export function sidecarSummary(info: SidecarInfo | null | undefined): SidecarSummary | null {
  if (!info) return null;
  return {
    pid: info.pid,
    startedAt: info.startedAt,
    listen: info.listen.map((l) => {
      const url = listenerUrl(l);
      return url ? { address: listenerAddress(l), url } : { address: listenerAddress(l) };
    }),
    ...(info.host ? { host: true as const } : {}),
  };
}

export function vmSummary(p: VmPaths, plan: Plan, sidecar: SidecarInfo | null): VmSummary {
  return {
    name: plan.vm.name,
    dir: p.dir,
    uuid: plan.vm.uuid,
    hostname: plan.vm.hostname,
    instanceId: plan.vm.instanceId,
    nocloud: plan.outputs.nocloud,
    cdrom: plan.outputs.cdrom,
    configDrive: plan.outputs.configDrive,
    seedUrl: plan.outputs.seedUrl,
    tap: plan.outputs.tap ?? null,
    smbios: plan.smbios,
    qemu: {
      argv: plan.qemuArgs,
      guestfwd: plan.outputs.guestfwd,
      files: { txt: p.qemuArgsTxt, sh: p.qemuArgsSh, json: p.qemuArgsJson },
    },
    libvirt: { domainXml: p.domainXml, sysinfoXml: p.sysinfoXml },
    datasource: { predicted: plan.verdict.winner, reasons: plan.verdict.reasons, warnings: plan.verdict.warnings },
    files: {
      spec: p.spec,
      state: p.state,
      served: p.served,
      meta: p.meta,
      secrets: p.secrets,
      smbios: p.smbios,
      sidecarLog: p.sidecarLog,
      accessLog: p.accessLog,
    },
    sidecar: sidecarSummary(sidecar),
  };
}
