// A state root and its VM folders must be safe from other local users, the way ssh treats ~/.ssh (StrictModes):
// a folder another user owns, or that a group or others may write, lets them plant files or links that a root
// command then writes through. Checked by every command that uses the state root and by the sidecar itself (it
// is what the libvirt hook starts as root). Lean on purpose: node:fs only, since the sidecar loads it.
// Files inside a VM folder are opened with O_NOFOLLOW (openNoFollow), so a link is an error, never a redirect.
import { constants, lstatSync, realpathSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join, parse, sep } from 'node:path';
import { UnsafeStateError } from '../errors.js';

export interface DirFacts {
  uid: number;
  mode: number;
  isDirectory: boolean;
  isSymlink: boolean;
}

// Pure: what is wrong with one folder, or undefined. `leaf`: the state root or a VM folder itself, which must be
// ours and writable by nobody else; an ancestor may be root's, and may be shared if sticky (/tmp: others cannot
// rename or remove what we create there).
export function dirProblem(
  f: DirFacts,
  o: { euid: number; leaf: 'state root' | 'VM folder' | undefined },
): string | undefined {
  if (f.isSymlink && o.leaf === 'VM folder') return 'is a symbolic link';
  if (!f.isDirectory && !f.isSymlink) return 'is not a folder';
  if (f.uid !== o.euid && !(f.uid === 0 && o.leaf !== 'VM folder'))
    return `is owned by uid ${f.uid}, not by you (uid ${o.euid})`;
  const sticky = (f.mode & 0o1000) !== 0;
  if (f.mode & 0o022 && (o.leaf !== undefined || !sticky)) {
    const who = [f.mode & 0o020 ? 'its group' : '', f.mode & 0o002 ? 'others' : ''].filter(Boolean).join(' and ');
    return `is writable by ${who} (mode ${(f.mode & 0o7777).toString(8).padStart(4, '0')})`;
  }
  return undefined;
}

function facts(st: Stats): DirFacts {
  return { uid: st.uid, mode: st.mode, isDirectory: st.isDirectory(), isSymlink: st.isSymbolicLink() };
}

const euidNow = () => process.geteuid?.() ?? 0;

// The state root (followed to its real path, as ssh does) and every folder above it. A root that does not exist
// yet is judged by the folders that will hold it (the caller then creates it 0700).
export function checkStateRoot(root: string, euid = euidNow()): void {
  let real: string | undefined;
  let existing = root;
  for (;;) {
    try {
      real = realpathSync(existing);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || existing === dirname(existing)) throw err;
      existing = dirname(existing);
    }
  }
  const rootExists = existing === root;
  const dirs: string[] = [];
  for (let d = real; ; d = dirname(d)) {
    dirs.unshift(d);
    if (d === parse(d).root) break;
  }
  for (const d of dirs) {
    const leaf = d === real && rootExists ? 'state root' : undefined;
    const problem = dirProblem(facts(lstatSync(d)), { euid, leaf });
    if (!problem) continue;
    const what = leaf
      ? `state root ${root}${real !== root ? ` (${real})` : ''}`
      : `${d}, above the state root ${root},`;
    throw new UnsafeStateError(
      `unsafe ${what} ${problem}: another user could plant files or links in it`,
      fixHint(d, leaf !== undefined, euid),
    );
  }
}

export function checkVmDir(dir: string, euid = euidNow()): void {
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const problem = dirProblem(facts(st), { euid, leaf: 'VM folder' });
  if (problem)
    throw new UnsafeStateError(
      `unsafe VM folder ${dir} ${problem}: another user could plant files or links in it`,
      st.isSymbolicLink() ? `remove the link ${dir} and re-create the VM` : fixHint(dir, true, euid),
    );
}

function fixHint(dir: string, leaf: boolean, euid: number): string {
  return leaf
    ? `if the folder is really yours: chown ${euid} ${dir} && chmod go-w ${dir}; otherwise use a state root only you can write (--state-dir, VMMETA_STATE_DIR)`
    : `chmod go-w ${dir} (or +t, like /tmp), or use a state root elsewhere (--state-dir, VMMETA_STATE_DIR)`;
}

// Every state-root check at once, for callers that hold a root and a VM name.
export function checkVmState(root: string, vm: string, euid = euidNow()): void {
  checkStateRoot(root, euid);
  checkVmDir(join(root, vm), euid);
}

export const NOFOLLOW_APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
export const NOFOLLOW_WRITE = constants.O_WRONLY | constants.O_TRUNC | constants.O_CREAT | constants.O_NOFOLLOW;

// ELOOP from O_NOFOLLOW means the last component is a link: say which file, and that it was not followed.
export function plantedLinkError(path: string): Error {
  return Object.assign(
    new Error(
      `${path} is a symbolic link; vmmeta does not follow links in a VM folder (remove it, and check who can write ${dirname(path)}${sep})`,
    ),
    { code: 'ELOOP', syscall: 'open', path },
  );
}

export function isLinkError(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ELOOP';
}

// readFile that refuses a symbolic link as the last component.
export async function readNoFollow(path: string): Promise<Buffer>;
export async function readNoFollow(path: string, encoding: 'utf8'): Promise<string>;
export async function readNoFollow(path: string, encoding?: 'utf8'): Promise<Buffer | string> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    throw isLinkError(err) ? plantedLinkError(path) : err;
  }
  try {
    return encoding ? await fh.readFile(encoding) : await fh.readFile();
  } finally {
    await fh.close();
  }
}
