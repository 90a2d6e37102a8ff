// IMDSv2 session tokens without a server-side table: the token carries its own expiry, sealed with an
// HMAC under the VM's key (secrets.json). Nothing grows with the number of PUTs, a restarted sidecar still
// accepts the tokens it issued before, and a token from one VM's sidecar is worthless at another's.
// (Firecracker seals the expiry with AES-GCM for the same reason: src/vmm/src/mmds/token.rs.)
import { createRequire } from 'node:module';

// node:crypto is loaded on the first token PUT or check, not at start-up: initialising OpenSSL costs ~0.9 MB of
// private memory per sidecar (docs/performance.md), and most guests never ask for an IMDSv2 token.
let crypto: typeof import('node:crypto') | undefined;
function lazyCrypto(): typeof import('node:crypto') {
  return (crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));
}

// AWS bounds (ec2-imds.md §6): 1 s .. 6 h.
export const TOKEN_TTL_MIN = 1;
export const TOKEN_TTL_MAX = 21600;

const EXPIRY_BYTES = 8;
const MAC_BYTES = 16; // 128 bits of HMAC-SHA256: forgery odds 2^-128 per try
const TOKEN_BYTES = EXPIRY_BYTES + MAC_BYTES;
// base64url of 24 bytes is exactly 32 characters, no padding.
const TOKEN_CHARS = 32;
const DOMAIN = 'vmmeta-imds-token-v1\0';

export function issueToken(key: Uint8Array, ttlSeconds: number, nowMs: number): string {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < TOKEN_TTL_MIN || ttlSeconds > TOKEN_TTL_MAX) {
    throw new RangeError(`token TTL ${ttlSeconds} outside ${TOKEN_TTL_MIN}..${TOKEN_TTL_MAX}`);
  }
  const expiry = Buffer.alloc(EXPIRY_BYTES);
  expiry.writeBigUInt64BE(BigInt(Math.floor(nowMs) + ttlSeconds * 1000));
  return Buffer.concat([expiry, mac(key, expiry)]).toString('base64url');
}

// True only for a token this key issued whose expiry is still ahead. The expiry is also bounded from above, so a
// token can never outlive the TTL limit even if a clock jumped back after it was issued.
export function verifyToken(key: Uint8Array, token: string, nowMs: number): boolean {
  if (token.length !== TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) return false;
  const raw = Buffer.from(token, 'base64url');
  if (raw.length !== TOKEN_BYTES) return false;
  const expiry = raw.subarray(0, EXPIRY_BYTES);
  if (!lazyCrypto().timingSafeEqual(mac(key, expiry), raw.subarray(EXPIRY_BYTES))) return false;
  const expiresAt = Number(expiry.readBigUInt64BE());
  return expiresAt > nowMs && expiresAt <= nowMs + TOKEN_TTL_MAX * 1000;
}

function mac(key: Uint8Array, expiry: Uint8Array): Buffer {
  return lazyCrypto().createHmac('sha256', key).update(DOMAIN).update(expiry).digest().subarray(0, MAC_BYTES);
}
