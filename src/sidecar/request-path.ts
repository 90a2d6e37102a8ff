// Request-target → tree key, the way Nova's metadata handler sees it (webob decodes PATH_INFO once, then
// posixpath.normpath): percent-decoding happens exactly once, "." and ".." segments are resolved, "//" collapses,
// trailing "/" is dropped (the handler tries the listing key itself), the query string is ignored. The tree is an
// in-memory Map, so nothing on disk is reachable anyway; still, a ".." that would climb above "/" is refused
// rather than clamped, and so are NUL, other control characters and backslashes, raw or encoded.

export const MAX_URL_BYTES = 2048;

export type PathResult =
  { ok: true; path: string; segments: string[] } | { ok: false; status: 400 | 414; reason: string };

export function normalizeRequestPath(rawUrl: string): PathResult {
  if (rawUrl.length > MAX_URL_BYTES)
    return { ok: false, status: 414, reason: `URL longer than ${MAX_URL_BYTES} bytes` };
  let target = rawUrl;
  // absolute-form (RFC 9112 §3.2.2) is legal from any client: keep only its path.
  const absolute = /^https?:\/\/[^/?#]*/i.exec(target);
  if (absolute) target = target.slice(absolute[0].length) || '/';
  if (!target.startsWith('/')) return { ok: false, status: 400, reason: 'request target is not an absolute path' };
  const cut = target.search(/[?#]/);
  if (cut >= 0) target = target.slice(0, cut);
  if (target.includes('\\')) return { ok: false, status: 400, reason: 'backslash in path' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(target);
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding' };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(decoded))
    return { ok: false, status: 400, reason: 'control character or backslash in path' };
  const segments: string[] = [];
  for (const seg of decoded.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (!segments.length) return { ok: false, status: 400, reason: 'path climbs above /' };
      segments.pop();
      continue;
    }
    segments.push(seg);
  }
  return { ok: true, path: '/' + segments.join('/'), segments };
}
