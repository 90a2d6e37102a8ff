// Reading a spec's userDataFile. Whoever writes a spec that someone else applies (root, a CI job) must not get
// files only the applier can read: the file is served to the guest and, on a loopback listener, to every local
// user. So the path is confined to the spec's own folder (no absolute path, no `..` out, no symlink out), checked
// on the file actually opened (/proc/self/fd), so a link swapped in between check and open cannot escape.
// `allowOutside` (the --allow-user-data-outside flag) lifts the confinement for an operator who wrote the spec.
// Either way only a regular file is read: the open is O_NONBLOCK and the type is checked on the open handle, so a
// FIFO or a device can neither hang `validate` nor stream forever.
import { constants, type Stats } from 'node:fs';
import { open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

export const USER_DATA_OUTSIDE_FLAG = '--allow-user-data-outside';

export class UserDataFileError extends Error {}

function inside(dir: string, target: string): boolean {
  const rel = relative(dir, target);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

function kind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

const OUT = `(pass ${USER_DATA_OUTSIDE_FLAG} to read files outside the spec's folder)`;

// Opens `name` (as written in the spec) for reading, or throws a UserDataFileError whose message completes
// "userDataFile: …". The caller reads and closes the handle.
export async function openUserDataFile(
  specFile: string,
  name: string,
  opts: { allowOutside?: boolean } = {},
): Promise<FileHandle> {
  const specDir = resolve(dirname(specFile));
  if (!opts.allowOutside) {
    if (isAbsolute(name))
      throw new UserDataFileError(
        `${name} is an absolute path; userDataFile is read relative to the spec's folder and stays inside it ${OUT}`,
      );
    if (!inside(specDir, resolve(specDir, name)))
      throw new UserDataFileError(`${name} leaves the spec's folder ${OUT}`);
  }
  const path = resolve(specDir, name);
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT'
        ? 'no such file'
        : e.code === 'EACCES'
          ? 'permission denied'
          : e.code === 'ELOOP'
            ? 'too many symbolic links'
            : e.message;
    throw new UserDataFileError(
      `cannot read ${name}: ${why}${isAbsolute(name) ? '' : " (paths are relative to the spec's folder)"}`,
    );
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new UserDataFileError(`${name} is ${kind(st)}; userDataFile must be a regular file`);
    if (!opts.allowOutside) {
      const real = await readlink(`/proc/self/fd/${fh.fd}`).catch(() => realpath(path));
      const realDir = await realpath(specDir);
      if (!inside(realDir, real))
        throw new UserDataFileError(`${name} is a symbolic link to ${real}, outside the spec's folder ${OUT}`);
    }
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}
