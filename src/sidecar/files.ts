// The small JSON files the sidecar shares with the CLI: secrets.json (read) and sidecar.json (written). Formats are
// validated by hand to keep zod out of the sidecar.
import { readNoFollow } from '../state/secure-dir.js';
import { createRequire } from 'node:module';

// secrets.json (0600): { "version": 1, "tokenKey": "<base64 of >= 32 random bytes>" }. `create` writes it once;
// keeping the key across updates and restarts keeps issued IMDSv2 tokens valid.
export const TOKEN_KEY_BYTES = 32;

// Only the CLI calls this; node:crypto is required here, not imported at the top, so the sidecar that loads this
// module for loadTokenKey does not initialise OpenSSL at start-up.
export function newSecrets(): string {
  const { randomBytes } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return JSON.stringify({ tokenKey: randomBytes(TOKEN_KEY_BYTES).toString('base64'), version: 1 }, null, 2) + '\n';
}

export function decodeTokenKey(text: string): Uint8Array {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('not JSON');
  }
  const key = (doc as { tokenKey?: unknown } | null)?.tokenKey;
  if (typeof key !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) throw new Error('tokenKey: expected a base64 string');
  const bytes = Buffer.from(key, 'base64');
  if (bytes.length < TOKEN_KEY_BYTES) throw new Error(`tokenKey: shorter than ${TOKEN_KEY_BYTES} bytes`);
  return new Uint8Array(bytes);
}

export async function loadTokenKey(file: string): Promise<Uint8Array> {
  const text = await readNoFollow(file, 'utf8');
  try {
    return decodeTokenKey(text);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

// sidecar.json: written only after every listener is bound, so its presence means "answering".
export interface SidecarInfo {
  pid: number;
  startedAt: string; // ISO 8601
  listen: ListenAddress[];
}

export function encodeSidecarInfo(info: SidecarInfo): string {
  return JSON.stringify({ listen: info.listen, pid: info.pid, startedAt: info.startedAt }, null, 2) + '\n';
}

export function decodeSidecarInfo(text: string): SidecarInfo {
  const doc = JSON.parse(text) as Partial<SidecarInfo> | null;
  const ok =
    doc !== null && typeof doc === 'object' && Number.isInteger(doc.pid) && typeof doc.startedAt === 'string' && Array.isArray(doc.listen) &&
    doc.listen.every((l) => (l?.kind === 'unix' && typeof l.path === 'string') || (l?.kind === 'tcp' && typeof l.host === 'string' && Number.isInteger(l.port)));
  if (!ok) throw new Error('not a sidecar.json document');
  return doc as SidecarInfo;
}
