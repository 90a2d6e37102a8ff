// Strict base64 (RFC 4648 §4, padded), written out here so spec/ needs no Buffer. Strict because cloud-init's
// b64decode fails on bad padding while silently dropping stray characters: a typo would otherwise reach the
// guest as different bytes instead of being reported.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? ALPHABET[n & 63]! : '=';
  }
  return out;
}

// Why a string is not strict base64, or null. Whitespace (line breaks of a YAML block scalar) is ignored.
export function base64Problem(text: string): string | null {
  const s = text.replace(/\s+/g, '');
  const bad = [...s].find((c) => c !== '=' && !VALUE.has(c));
  if (bad !== undefined) return `not base64: contains ${JSON.stringify(bad)}`;
  if (s.length % 4 !== 0) return `not base64: length ${s.length} is not a multiple of 4`;
  if (/=[^=]/.test(s) || /={3,}$/.test(s)) return 'not base64: "=" padding in the middle';
  return null;
}

export function decodeBase64(text: string): Uint8Array | null {
  if (base64Problem(text) !== null) return null;
  const s = text.replace(/\s+/g, '');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const n =
      (VALUE.get(s[i]!)! << 18) |
      (VALUE.get(s[i + 1]!)! << 12) |
      ((VALUE.get(s[i + 2]!) ?? 0) << 6) |
      (VALUE.get(s[i + 3]!) ?? 0);
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}
