// The one place that runs an ISO tool: a FileTree becomes an ISO 9660 image. Joliet and Rock Ridge are
// both needed: without them the guest sees META_DAT instead of meta-data and NoCloud finds no seed
// (guest-testing.md). genisoimage is what cloud-localds and Nova use; xorriso's mkisofs emulation is the fallback.
import {
  mkdtempSync,
  mkdirSync,
  writeFileSync,
  rmSync,
  utimesSync,
  openSync,
  fsyncSync,
  closeSync,
  renameSync,
  chmodSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, basename, delimiter } from 'node:path';
import type { FileTree } from '../render/tree.js';
import { UserError, EXIT } from '../errors.js';

export type IsoTool = 'genisoimage' | 'xorriso';

export interface BuildIsoOptions {
  volumeId: 'cidata' | 'config-2';
  out: string;
  tool?: IsoTool; // default: genisoimage if installed, else xorriso
  mode?: number; // default 0o644: QEMU (often another user under libvirt) must read it
}

// Nova's nova/virt/configdrive.py _make_iso9660 flags: ISO level names relaxed so openstack/latest/… and
// meta_data.json keep their case and dots even for readers that ignore Rock Ridge.
const VOLUME_FLAGS: Record<BuildIsoOptions['volumeId'], string[]> = {
  cidata: ['-J', '-r'],
  'config-2': ['-ldots', '-allow-lowercase', '-allow-multidot', '-l', '-J', '-r'],
};

// A fixed time for every file, so two builds of the same tree differ only in the volume descriptor's dates.
const FILE_TIME = new Date('2000-01-01T00:00:00Z');

export function findIsoTool(pathEnv = process.env.PATH ?? ''): IsoTool | null {
  for (const tool of ['genisoimage', 'xorriso'] as const) {
    if (pathEnv.split(delimiter).some((d) => d && existsSync(join(d, tool)))) return tool;
  }
  return null;
}

export function isoCommand(
  tool: IsoTool,
  opts: { volumeId: BuildIsoOptions['volumeId']; out: string; root: string },
): { file: string; args: string[] } {
  const flags = [
    '-quiet',
    '-input-charset',
    'utf-8',
    '-V',
    opts.volumeId,
    ...VOLUME_FLAGS[opts.volumeId],
    '-o',
    opts.out,
    opts.root,
  ];
  return tool === 'genisoimage'
    ? { file: 'genisoimage', args: flags }
    : { file: 'xorriso', args: ['-as', 'mkisofs', ...flags] };
}

export async function buildIso(tree: FileTree, opts: BuildIsoOptions): Promise<void> {
  const tool = opts.tool ?? findIsoTool();
  if (!tool) {
    throw new UserError('neither genisoimage nor xorriso is installed: cannot build the ISO', {
      exitCode: EXIT.failure,
      hint: 'apt-get install genisoimage (or xorriso)',
    });
  }
  const staging = mkdtempSync(join(tmpdir(), 'vmmeta-iso-'));
  const tmp = join(dirname(opts.out), `.${basename(opts.out)}.tmp-${process.pid}`);
  try {
    writeTree(tree, staging);
    const { file, args } = isoCommand(tool, { volumeId: opts.volumeId, out: tmp, root: staging });
    // Loaded here, not at the top: execa's import costs 55–90 ms that commands building no ISO should not pay.
    const { execa } = await import('execa');
    try {
      await execa(file, args, { stdin: 'ignore', env: { LC_ALL: 'C.UTF-8' } });
    } catch (err) {
      const e = err as { stderr?: string; shortMessage?: string; code?: string };
      if (e.code === 'ENOENT')
        throw new UserError(`${file} is not installed`, { hint: 'apt-get install genisoimage (or xorriso)' });
      throw new UserError(`${file} failed to build ${opts.out}: ${(e.stderr || e.shortMessage || String(err)).trim()}`);
    }
    chmodSync(tmp, opts.mode ?? 0o644);
    fsyncPath(tmp);
    renameSync(tmp, opts.out);
    fsyncPath(dirname(opts.out));
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(tmp, { force: true });
  }
}

// Disk trees hold relative POSIX paths of leaves only (render/tree.ts); anything else is a renderer bug.
function writeTree(tree: FileTree, root: string): void {
  const dirs = new Set<string>();
  for (const [path, bytes] of tree) {
    if (
      path.startsWith('/') ||
      path.endsWith('/') ||
      path.split('/').some((p) => p === '' || p === '.' || p === '..')
    ) {
      throw new Error(`not a disk tree path: ${JSON.stringify(path)}`);
    }
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    for (let d = dirname(path); d !== '.'; d = dirname(d)) dirs.add(join(root, d));
    writeFileSync(file, bytes, { mode: 0o644 });
    utimesSync(file, FILE_TIME, FILE_TIME);
  }
  for (const d of dirs) utimesSync(d, FILE_TIME, FILE_TIME);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
