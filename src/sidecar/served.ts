// served.json: the one file a sidecar loads (and re-reads on SIGHUP): the VM's HTTP tree plus the few settings
// serving needs. Written atomically by create/update; validated here by hand so the sidecar never loads zod.
//
// Encoding: identical documents are stored once. A rendered tree repeats the same bytes under many paths
// (user_data under every OpenStack version and EC2 date, unchanged meta_data.json across versions), so `files`
// maps each path to an index into `blobs` (base64). Decoding shares one Uint8Array per blob, which also keeps
// the resident size of each sidecar down.
import { readNoFollow } from '../state/secure-dir.js';
import { stableJson, sortedTree, type FileTree } from '../render/tree.js';

export const SERVED_VERSION = 1;
export type ImdsTokens = 'optional' | 'required';

export interface ServedMeta {
  vm: string;
  uuid: string;
  imds: { tokens: ImdsTokens };
  // The spec's sidecar.listen: used when `vmmeta serve` gets no --listen.
  listen?: string[];
  allowAllInterfaces?: boolean; // the spec's sidecar.allowAllInterfaces: its listen may hold 0.0.0.0 / [::]
  host?: boolean; // the spec's sidecar.mode is host: the state root's `vmmeta host` serves it, not `vmmeta serve`
}

export interface Served extends ServedMeta {
  tree: FileTree;
}

export class ServedError extends Error {
  override name = 'ServedError';
}

export function encodeServed(tree: FileTree, meta: ServedMeta): string {
  const blobs: string[] = [];
  const index = new Map<string, number>();
  const files: Record<string, number> = {};
  for (const [path, bytes] of tree) {
    checkPath(path);
    const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    let i = index.get(b64);
    if (i === undefined) {
      i = blobs.length;
      blobs.push(b64);
      index.set(b64, i);
    }
    files[path] = i;
  }
  const doc: Record<string, unknown> = {
    version: SERVED_VERSION,
    vm: meta.vm,
    uuid: meta.uuid,
    imds: { tokens: meta.imds.tokens },
    blobs,
    files,
  };
  if (meta.listen) doc.listen = [...meta.listen];
  if (meta.allowAllInterfaces) doc.allowAllInterfaces = true;
  if (meta.host) doc.host = true;
  return stableJson(doc);
}

export function decodeServed(data: string | Uint8Array): Served {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch (err) {
    throw new ServedError(`not JSON: ${(err as Error).message}`);
  }
  const o = record(doc, '');
  if (o.version !== SERVED_VERSION)
    throw new ServedError(`version: expected ${SERVED_VERSION}, got ${JSON.stringify(o.version)}`);
  const vm = str(o.vm, 'vm');
  const uuid = str(o.uuid, 'uuid');
  const tokens = record(o.imds, 'imds').tokens;
  if (tokens !== 'optional' && tokens !== 'required')
    throw new ServedError('imds.tokens: expected "optional" or "required"');
  let listen: string[] | undefined;
  if (o.listen !== undefined) {
    if (!Array.isArray(o.listen)) throw new ServedError('listen: expected an array of strings');
    listen = o.listen.map((l, i) => str(l, `listen[${i}]`));
  }
  if (!Array.isArray(o.blobs)) throw new ServedError('blobs: expected an array');
  const blobs = o.blobs.map((b, i) => {
    const s = str(b, `blobs[${i}]`);
    if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new ServedError(`blobs[${i}]: not base64`);
    return new Uint8Array(Buffer.from(s, 'base64'));
  });
  const entries: [string, Uint8Array][] = [];
  for (const [path, i] of Object.entries(record(o.files, 'files'))) {
    checkPath(path);
    const blob = typeof i === 'number' && Number.isInteger(i) ? blobs[i] : undefined;
    if (!blob) throw new ServedError(`files["${path}"]: not an index into blobs`);
    entries.push([path, blob]);
  }
  if (!entries.length) throw new ServedError('files: empty tree');
  const served: Served = { vm, uuid, imds: { tokens }, tree: sortedTree(entries) };
  if (listen) served.listen = listen;
  if (o.allowAllInterfaces === true) served.allowAllInterfaces = true;
  if (o.host === true) served.host = true;
  return served;
}

export async function loadServed(file: string): Promise<Served> {
  const bytes = await readNoFollow(file);
  try {
    return decodeServed(bytes);
  } catch (err) {
    if (err instanceof ServedError) throw new ServedError(`${file}: ${err.message}`);
    throw err;
  }
}

// HTTP tree keys are absolute request paths (docs/internals.md); listings end in "/". Anything else would never
// be looked up by the handler, so it is a rendering bug worth failing on.
function checkPath(path: string): void {
  if (
    !path.startsWith('/') ||
    path.includes('//') ||
    /[\0\\?#]/.test(path) ||
    path.split('/').some((s) => s === '.' || s === '..')
  ) {
    throw new ServedError(`files: bad path ${JSON.stringify(path)}`);
  }
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ServedError(`${what || 'document'}: expected an object`);
  return v as Record<string, unknown>;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new ServedError(`${what}: expected a string`);
  return v;
}
