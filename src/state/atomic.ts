// Atomic file writes as cloud-init's atomic_helper.py does them, plus fsync: a temp file in the target folder
// (same filesystem, so rename is atomic), data and mode set before the rename, then the folder fsynced so the
// rename itself survives a crash. A reader sees the old bytes or the new bytes, never a mix or an empty file.
import { open, rename, unlink, mkdir, chmod } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

let counter = 0;

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: { mode?: number } = {},
): Promise<void> {
  const mode = opts.mode ?? 0o644;
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode); // the umask may have narrowed or the mode argument
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw withPath(err, path);
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(path));
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

// mkdir -p with an exact mode on the leaf (mkdir's mode is filtered by the umask).
export async function ensureDir(dir: string, mode = 0o700): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
  await chmod(dir, mode);
}

// Errors of an open file handle (ENOSPC on write) carry no path; the message should say which file failed.
export function withPath(err: unknown, path: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && e.code && e.path === undefined) e.path = path;
  return err;
}
