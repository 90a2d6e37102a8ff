// Every file name of a VM's state folder lives here and nowhere else (the ones the sidecar touches come from
// layout.ts), so the layout documented in docs/cli.md is the layout on disk.
import { join } from 'node:path';
import { resolveStateRoot, SIDECAR_FILES, UNIX_PATH_MAX } from './layout.js';

// The sidecar resolves the root and names its own files through layout.ts; the names below are taken from
// there so the two can never disagree.
export { resolveStateRoot, UNIX_PATH_MAX };

// The per-VM folder ($root/<vm>/, mode 0711, like the root when vmmeta creates it): others may pass through but
// not list it, so QEMU running as another user (libvirt-qemu) opens cidata.iso by name once libvirt's dynamic
// ownership has chowned it; every file with secrets stays 0600 and the socket 0600. Runtime files are written by
// the sidecar, the rest by commands.
export const FILES = {
  spec: 'spec.yaml', // the input, byte for byte
  state: 'state.json', // 0600: { version: 1, name, uuid, randomSeed, specHash, createdAt, updatedAt, resolved, outputs }
  served: SIDECAR_FILES.served, // 0600: what the sidecar serves (HTTP tree + settings), re-read on SIGHUP
  meta: 'meta', // the rendered documents for people to read (user-data files 0600)
  cidataIso: 'cidata.iso', // present only while the NoCloud CD is attached
  configDriveIso: 'config-2.iso', // present only with --config-drive
  smbios: 'smbios.txt',
  qemuArgsTxt: 'qemu-args.txt', // one argument per line
  qemuArgsSh: 'qemu-args.sh', // one shell-quoted line
  qemuArgsJson: 'qemu-args.json',
  domainXml: 'domain.xml',
  domainXmlCopy: 'domain.vmmeta.xml', // vmmeta's domain.xml when the operator edited domain.xml (theirs is kept)
  sysinfoXml: 'sysinfo.xml',
  secrets: SIDECAR_FILES.secrets, // 0600: IMDSv2 token key
  password: SIDECAR_FILES.password, // 0600: what a guest POSTed to /openstack/<ver>/password
  sidecarJson: SIDECAR_FILES.sidecarJson, // { pid, startedAt, listen } written by the sidecar after listen
  sidecarSock: SIDECAR_FILES.sidecarSock, // sun_path: at most UNIX_PATH_MAX bytes
  sidecarLog: SIDECAR_FILES.sidecarLog, // the sidecar's stdout/stderr (host mode: the host's lines for this VM)
  hostStopped: SIDECAR_FILES.hostStopped, // host mode: stopped by `vmmeta stop`, not served again on host start
  sidecarLaunch: SIDECAR_FILES.sidecarLaunch, // { pid, launchedAt } written by the launcher before sidecar.json exists
  accessLog: SIDECAR_FILES.accessLog, // one JSON line per request
  qmpSock: 'qmp.sock', // QEMU's QMP socket (qemu-args: -qmp unix:…), created by QEMU; sun_path ≤ UNIX_PATH_MAX
  lock: 'lock', // owner pid while a command holds the VM
} as const;

// Files a command writes from a spec. Everything else in the folder is runtime state and survives an update.
export const GENERATED = [
  FILES.spec,
  FILES.served,
  FILES.meta,
  FILES.cidataIso,
  FILES.configDriveIso,
  FILES.smbios,
  FILES.qemuArgsTxt,
  FILES.qemuArgsSh,
  FILES.qemuArgsJson,
  FILES.domainXml,
  FILES.domainXmlCopy,
  FILES.sysinfoXml,
  FILES.secrets,
] as const;

export type VmPaths = { root: string; name: string; dir: string } & { [K in keyof typeof FILES]: string };

export function vmPaths(root: string, name: string, dir = join(root, name)): VmPaths {
  const out: Record<string, string> = { root, name, dir };
  for (const [key, file] of Object.entries(FILES)) out[key] = join(dir, file);
  return out as VmPaths;
}

// A VM is staged in `<vm>.tmp-<pid>` and renamed into place; a delete renames to `<vm>.deleting-<pid>` first.
// VM names never contain a dot (schema.ts), so these can never be mistaken for VMs.
export function stagingDir(root: string, name: string, pid = process.pid): string {
  return join(root, `${name}.tmp-${pid}`);
}
export function deletingDir(root: string, name: string, pid = process.pid): string {
  return join(root, `${name}.deleting-${pid}`);
}
export function parseLeftover(entry: string): { name: string; pid: number; kind: 'tmp' | 'deleting' } | undefined {
  const m = /^([a-z0-9-]+)\.(tmp|deleting)-(\d+)$/.exec(entry);
  return m ? { name: m[1]!, kind: m[2] as 'tmp' | 'deleting', pid: Number(m[3]) } : undefined;
}

// Documents that carry user-data, vendor-data, passwords or the random seed are 0600 wherever they are written.
export function isSensitiveDocument(path: string): boolean {
  const base = path.split('/').pop() ?? '';
  return /^(user[-_]data|vendor[-_]data.*|meta_data\.json|meta-data\.json|password)$/.test(base);
}
