// secrets.json: the IMDSv2 token key. Written by create (kept by update), read by the sidecar at start and checked
// by update and inspect; lean (node built-ins only), since the sidecar loads it.
import { createRequire } from 'node:module';
import { readNoFollow } from './secure-dir.js';

// secrets.json (0600): { "version": 1, "tokenKey": "<base64 of >= 32 random bytes>" }. `create` writes it once;
// keeping the key across updates and restarts keeps issued IMDSv2 tokens valid.
export const TOKEN_KEY_BYTES = 32;

// Only create and update call this; node:crypto is required here, not imported at the top, so the sidecar that loads this
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
  if (typeof key !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(key))
    throw new Error('tokenKey: expected a base64 string');
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

// For create/update and the damage check: the file's text when it holds a usable key, else what is wrong.
export type SecretsRead = { ok: true; text: string } | { ok: false; problem: 'missing' | 'invalid' | 'unreadable' };

export async function readSecrets(file: string): Promise<SecretsRead> {
  let text: string;
  try {
    text = await readNoFollow(file, 'utf8');
  } catch (err) {
    return { ok: false, problem: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable' };
  }
  try {
    decodeTokenKey(text);
    return { ok: true, text };
  } catch {
    return { ok: false, problem: 'invalid' };
  }
}
