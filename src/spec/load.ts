// The I/O edge of spec/: read the spec file and its userDataFile, then hand text and bytes to the pure
// parse/normalize steps. Everything wrong is reported together as one invalidSpec error (exit 2).
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { EXIT, UserError, invalidSpec, type SpecIssue } from '../cli/errors.js';
import { generateIds, type GeneratedIds } from './ids.js';
import { SPEC_MAX_BYTES, USER_DATA_MAX_BYTES } from './limits.js';
import { normalizeSpec } from './normalize.js';
import { parseSpecText } from './parse.js';
import { tooBig } from './rules.js';
import type { ResolvedVm, Spec } from './schema.js';

export interface LoadedSpec {
  source: string; // the path as given, for messages
  text: string; // the spec text, byte for byte (stored as spec.yaml)
  spec: Spec;
  vm: ResolvedVm;
}

export interface LoadOptions {
  ids?: GeneratedIds; // stored ids of an existing VM; fresh ones are generated when absent
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const known: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory' };
  return (e.code && known[e.code]) ?? e.message;
}

async function readSpecText(file: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    const info = await stat(file);
    if (info.isFile() && info.size > SPEC_MAX_BYTES) throw invalidSpec(file, [{ path: '', message: `the file is ${info.size} bytes; a spec is at most ${SPEC_MAX_BYTES}` }]);
    bytes = await readFile(file);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read spec ${file}: ${reason(err)}`, { exitCode: EXIT.invalid });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidSpec(file, [{ path: '', message: 'not UTF-8 text' }]);
  }
}

// The file's exact bytes: gzip, MIME multipart and scripts pass through untouched (cloud-init sniffs them).
async function readUserDataFile(specFile: string, name: string): Promise<{ bytes?: Uint8Array; issue?: SpecIssue }> {
  const path = resolve(dirname(specFile), name);
  try {
    const info = await stat(path);
    if (!info.isFile()) return { issue: { path: 'userDataFile', message: `${name} is not a regular file` } };
    if (info.size > USER_DATA_MAX_BYTES) return { issue: { path: 'userDataFile', message: tooBig(info.size, `${name} is`) } };
    const bytes = new Uint8Array(await readFile(path));
    // Re-checked after reading: the file may have grown in between.
    if (bytes.length > USER_DATA_MAX_BYTES) return { issue: { path: 'userDataFile', message: tooBig(bytes.length, `${name} is`) } };
    return { bytes };
  } catch (err) {
    const where = isAbsolute(name) ? '' : " (paths are relative to the spec's folder)";
    return { issue: { path: 'userDataFile', message: `cannot read ${name}: ${reason(err)}${where}` } };
  }
}

export async function loadSpecFile(file: string, opts: LoadOptions = {}): Promise<LoadedSpec> {
  const text = await readSpecText(file);
  const parsed = parseSpecText(text, file);
  if (!parsed.ok) throw invalidSpec(file, parsed.issues);
  const spec = parsed.spec;
  let userData: Uint8Array | undefined;
  if (spec.userDataFile !== undefined) {
    const read = await readUserDataFile(file, spec.userDataFile);
    if (read.issue) throw invalidSpec(file, [read.issue]);
    userData = read.bytes;
  }
  const ids = opts.ids ?? generateIds((n) => new Uint8Array(randomBytes(n)));
  return { source: file, text, spec, vm: normalizeSpec(spec, userData === undefined ? { ids } : { ids, userData }) };
}
