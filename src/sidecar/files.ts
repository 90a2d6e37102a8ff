// sidecar.json, the file the sidecar writes for the CLI once it listens: its format, validated by hand to keep zod
// out of the sidecar. (secrets.json, which it reads, is state/secrets.ts.)

import type { ListenAddress } from '../spec/listen.js';

export type { ListenAddress };

// sidecar.json: written only after every listener is bound, so its presence means "answering".
export interface SidecarInfo {
  pid: number;
  startedAt: string; // ISO 8601
  listen: ListenAddress[];
  // Served by the state root's `vmmeta host` (pid is the host's): stop and reload go through its control socket,
  // and no signal is ever sent to that pid on this VM's behalf.
  host?: true;
}

export function encodeSidecarInfo(info: SidecarInfo): string {
  return (
    JSON.stringify(
      { ...(info.host ? { host: true } : {}), listen: info.listen, pid: info.pid, startedAt: info.startedAt },
      null,
      2,
    ) + '\n'
  );
}

// The one check of a sidecar.json document, for the sidecar (its own file) and the CLI (status, probes).
export function asSidecarInfo(value: unknown): SidecarInfo | undefined {
  const doc = value as Partial<SidecarInfo> | null;
  const ok =
    doc !== null &&
    typeof doc === 'object' &&
    Number.isInteger(doc.pid) &&
    typeof doc.startedAt === 'string' &&
    Array.isArray(doc.listen) &&
    doc.listen.every(
      (l) =>
        (l?.kind === 'unix' && typeof l.path === 'string') ||
        (l?.kind === 'tcp' && typeof l.host === 'string' && Number.isInteger(l.port)),
    ) &&
    (doc.host === undefined || doc.host === true);
  return ok ? (doc as SidecarInfo) : undefined;
}

export function decodeSidecarInfo(text: string): SidecarInfo {
  const info = asSidecarInfo(JSON.parse(text));
  if (!info) throw new Error('not a sidecar.json document');
  return info;
}
