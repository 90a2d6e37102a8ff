// The I/O edge of spec/: read the spec file and its userDataFile, then hand text and bytes to the pure
// parse/normalize steps. Everything wrong is reported together as one invalidSpec error (exit 2).
import { randomBytes } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { EXIT, UserError } from '../errors.js';
import { invalidSpec, type SpecIssue } from './issues.js';
import { generateIds, type GeneratedIds } from './ids.js';
import { SPEC_MAX_BYTES, USER_DATA_MAX_BYTES } from './limits.js';
import { normalizeSpec } from './normalize.js';
import { parseSpecText } from './parse.js';
import { tooBig } from './rules.js';
import type { ResolvedVm, Spec } from './schema.js';
import { openUserDataFile, UserDataFileError } from './user-data-file.js';

export interface LoadedSpec {
  source: string; // the path as given, for messages
  text: string; // the spec text, byte for byte (stored as spec.yaml)
  spec: Spec;
  raw: unknown; // the YAML as written, before defaults
  vm: ResolvedVm;
}

export interface LoadOptions {
  ids?: GeneratedIds; // stored ids of an existing VM; fresh ones are generated when absent
  userDataOutside?: boolean; // --allow-user-data-outside: userDataFile may be any readable regular file
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
  };
  return (e.code && known[e.code]) ?? e.message;
}

// Reads at most cap + 1 bytes, so a pipe or a device (/dev/stdin, /dev/zero) cannot exhaust memory. A regular
// file over the cap is refused from its size without reading it.
async function readCapped(
  path: string | FileHandle,
  cap: number,
): Promise<{ bytes: Uint8Array; size: number; over: boolean; exact: boolean }> {
  const handle = typeof path === 'string' ? await open(path, 'r') : path;
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (info.isFile() && info.size > cap) return { bytes: new Uint8Array(0), size: info.size, over: true, exact: true };
    const buf = new Uint8Array(cap + 1);
    let len = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, len, buf.length - len, null);
      if (bytesRead === 0) break;
      len += bytesRead;
      if (len === buf.length) break;
    }
    // Past the cap (a stream, or a file that grew after stat) only a lower bound is known.
    return { bytes: buf.slice(0, len), size: len, over: len > cap, exact: len <= cap };
  } finally {
    await handle.close();
  }
}

async function readSpecText(file: string): Promise<string> {
  let read: Awaited<ReturnType<typeof readCapped>>;
  try {
    read = await readCapped(file, SPEC_MAX_BYTES);
  } catch (err) {
    throw new UserError(`cannot read spec ${file}: ${reason(err)}`, { exitCode: EXIT.invalid });
  }
  if (read.over) {
    throw invalidSpec(file, [
      {
        path: '',
        message: `the file is ${read.exact ? '' : 'more than '}${read.exact ? read.size : SPEC_MAX_BYTES} bytes; a spec is at most ${SPEC_MAX_BYTES}`,
      },
    ]);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(read.bytes);
  } catch {
    throw invalidSpec(file, [{ path: '', message: 'not UTF-8 text' }]);
  }
}

// The file's exact bytes: gzip, MIME multipart and scripts pass through untouched (cloud-init sniffs them).
async function readUserDataFile(
  specFile: string,
  name: string,
  outside: boolean,
): Promise<{ bytes?: Uint8Array; issue?: SpecIssue }> {
  try {
    const read = await readCapped(
      await openUserDataFile(specFile, name, { allowOutside: outside }),
      USER_DATA_MAX_BYTES,
    );
    if (read.over)
      return {
        issue: { path: 'userDataFile', message: tooBig(read.size, read.exact ? `${name} is` : `${name} is at least`) },
      };
    return { bytes: read.bytes };
  } catch (err) {
    if (err instanceof UserDataFileError) return { issue: { path: 'userDataFile', message: err.message } };
    return { issue: { path: 'userDataFile', message: `cannot read ${name}: ${reason(err)}` } };
  }
}

export async function loadSpecFile(file: string, opts: LoadOptions = {}): Promise<LoadedSpec> {
  const text = await readSpecText(file);
  const parsed = parseSpecText(text, file);
  if (!parsed.ok) throw invalidSpec(file, parsed.issues);
  const spec = parsed.spec;
  let userData: Uint8Array | undefined;
  if (spec.userDataFile !== undefined) {
    const read = await readUserDataFile(file, spec.userDataFile, Boolean(opts.userDataOutside));
    if (read.issue) throw invalidSpec(file, [read.issue]);
    userData = read.bytes;
  }
  const ids = opts.ids ?? generateIds((n) => new Uint8Array(randomBytes(n)));
  return {
    source: file,
    text,
    spec,
    raw: parsed.raw,
    vm: normalizeSpec(spec, userData === undefined ? { ids } : { ids, userData }),
  };
}
