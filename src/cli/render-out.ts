// The --out folder of `vmmeta render` holds exactly the rendered tree: files an earlier render wrote that the new
// tree no longer has (user_data after userData was removed, network_data.json after networks were) are removed,
// so an ISO built from the folder ships nothing stale. Only files vmmeta wrote are ever removed: they are listed
// in a manifest kept NEXT TO the folder (`.<folder>.vmmeta-render.json`), not inside it, so the folder itself
// stays byte for byte what cloud-init should read. A non-empty folder without a manifest is refused.
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { readJsonFile } from '../state/pid.js';
import { writeFileAtomic } from '../state/atomic.js';
import { EXIT, UserError } from '../errors.js';

export function manifestPath(out: string): string {
  const abs = resolve(out);
  return join(dirname(abs), `.${basename(abs)}.vmmeta-render.json`);
}

// A manifest entry is a plain relative path inside the folder; anything else (edited by hand) is ignored.
export function safeEntry(rel: unknown): rel is string {
  return (
    typeof rel === 'string' &&
    rel !== '' &&
    !rel.startsWith('/') &&
    posix.normalize(rel) === rel &&
    !rel.split('/').includes('..')
  );
}

// Files of the previous render that the next one does not write.
export function staleFiles(previous: readonly string[], next: readonly string[]): string[] {
  const keep = new Set(next);
  return [...new Set(previous)].filter((f) => !keep.has(f)).sort();
}

// What an earlier render into `out` wrote, or [] for a new or empty folder; refuses a folder with other content.
export async function previousRender(out: string): Promise<string[]> {
  const manifest = (await readJsonFile(manifestPath(out))) as { files?: unknown } | undefined;
  if (manifest && Array.isArray(manifest.files)) return manifest.files.filter(safeEntry);
  const entries = await readdir(out).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  if (entries.length) {
    throw new UserError(`${out} is not empty and was not written by vmmeta render (no ${manifestPath(out)})`, {
      exitCode: EXIT.conflict,
      details: ['render makes --out hold exactly the rendered tree, and never removes files it did not write'],
      hint: `render into a new or empty folder, or remove ${out} first`,
    });
  }
  return [];
}

export async function writeManifest(out: string, files: readonly string[]): Promise<void> {
  await writeFileAtomic(
    manifestPath(out),
    JSON.stringify({ version: 1, files: [...new Set(files)].sort() }, null, 2) + '\n',
    { mode: 0o644 },
  );
}

// Removes stale regular files (a symlink or folder put there by someone else is left alone) and the folders
// they leave empty, up to `out` itself.
export async function removeStale(out: string, stale: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const rel of stale) {
    const path = join(out, rel);
    const st = await lstat(path).catch(() => undefined);
    if (!st?.isFile()) continue;
    await unlink(path);
    removed.push(path);
    for (let dir = dirname(rel); dir !== '.' && dir !== ''; dir = dirname(dir)) {
      const gone = await rmdir(join(out, dir)).then(
        () => true,
        () => false,
      ); // not empty: someone else's too
      if (!gone) break;
    }
  }
  return removed;
}
