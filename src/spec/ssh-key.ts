// OpenSSH public key lines as authorized_keys takes them (sshd(8) "AUTHORIZED_KEYS FILE FORMAT", without the
// options prefix, which Nova key pairs never carry): "<type> <base64 blob> [comment]". The blob starts with the
// key type again as an SSH wire string (RFC 4253 §6.6), so a pasted key with a swapped prefix is caught here
// instead of being silently ignored by sshd in the guest.
import { base64Problem, decodeBase64 } from './base64.js';

export const SSH_KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

// Reads the SSH wire strings (uint32 big-endian length + bytes) of a blob; null when a length runs past the end.
function wireStrings(blob: Uint8Array, count: number): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > blob.length) return null;
    const len = ((blob[at]! << 24) >>> 0) + (blob[at + 1]! << 16) + (blob[at + 2]! << 8) + blob[at + 3]!;
    at += 4;
    if (at + len > blob.length) return null;
    out.push(blob.subarray(at, at + len));
    at += len;
  }
  return out;
}

const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

// Why a string is not a usable public key line, or null.
export function sshKeyProblem(line: string): string | null {
  if (/[\r\n]/.test(line)) return 'contains a line break (one key per entry)';
  const fields = line.trim().split(/[ \t]+/);
  const [type, blobText] = fields;
  if (!type || !blobText) return 'not an OpenSSH public key ("<type> <base64> [comment]")';
  if (type === 'ssh-dss') return 'ssh-dss (DSA) keys are refused by OpenSSH since 7.0; use ssh-ed25519';
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    return /^[A-Za-z0-9+/]{20,}={0,2}$/.test(type) || type.includes('=')
      ? 'not an OpenSSH public key: options or a missing key type before the base64 blob'
      : `unknown key type ${JSON.stringify(type)} (expected one of ${SSH_KEY_TYPES.join(', ')})`;
  }
  if (base64Problem(blobText) !== null) return 'key data is not valid base64';
  const blob = decodeBase64(blobText)!;
  const parts = wireStrings(blob, 2);
  if (!parts) return 'key data is truncated';
  const embedded = parts[0]!.length <= 64 ? latin1(parts[0]!) : '(unreadable)';
  if (embedded !== type)
    return `key type "${type}" does not match the key data, which holds a ${JSON.stringify(embedded)} key`;
  if (type === 'ssh-ed25519' && parts[1]!.length !== 32) return 'key data is truncated (an ed25519 key is 32 bytes)';
  return null;
}
