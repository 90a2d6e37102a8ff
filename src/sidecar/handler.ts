// Handling is a function (Firecracker's mmds convert_to_response): a request object in, a response object out,
// no socket, clock or disk. The server passes the time and the stored password in, and persists a password the
// response asks it to store.
import type { FileTree } from '../render/tree.js';
import type { ImdsTokens } from './served.js';
import { normalizeRequestPath } from './request-path.js';
import { issueToken, verifyToken, TOKEN_TTL_MIN, TOKEN_TTL_MAX } from './tokens.js';

export interface SidecarRequest {
  method: string;
  url: string; // raw request-target
  headers: Record<string, string | string[] | undefined>; // lower-cased names, as node:http gives them
  body?: Uint8Array;
  nowMs: number;
  // 'host': the request came in on a loopback listener, or from the host itself, where any local user can
  // connect. Only the guest's path (the 0600 socket, the intercepted metadata address) may set the password or
  // mint IMDSv2 tokens; reads stay open, since whoever chose a loopback listener chose to share them.
  origin?: 'guest' | 'host';
}

export interface HandlerContext {
  tree: FileTree;
  imdsTokens: ImdsTokens;
  tokenKey: Uint8Array;
  password: { get(): string | undefined };
}

export interface SidecarResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  tokenUsed: boolean;
  passwordToStore?: string;
}

// Nova's password handler: 4 chunks of 255 bytes (openstack-metadata.md §5).
export const PASSWORD_MAX_BYTES = 1020;
const PASSWORD_SINCE = '2013-04-04';

// Nova calls set_mimetype only for these (openstack-metadata.md §4); everything else, EC2 included, is text/plain.
const JSON_DOCUMENTS = new Set(['meta_data.json', 'vendor_data.json', 'vendor_data2.json']);

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  414: 'URI Too Long',
};

const READ = 'GET, HEAD';
const HOST_REFUSED =
  "only the guest may do this: use the VM's socket or metadata address, not a loopback listener every local user can reach";
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function handleRequest(req: SidecarRequest, ctx: HandlerContext): SidecarResponse {
  const head = req.method === 'HEAD';
  const np = normalizeRequestPath(req.url);
  if (!np.ok) return error(np.status, head, np.reason);
  const { path, segments } = np;

  // IMDSv2 token endpoint (ec2-imds.md §6). Only /latest/api/token issues tokens; a dated path is refused as AWS does.
  if (segments.length === 3 && segments[1] === 'api' && segments[2] === 'token' && segments[0] !== 'openstack') {
    if (req.method !== 'PUT') return segments[0] === 'latest' ? error(405, head, undefined, 'PUT') : error(404, head);
    if (segments[0] !== 'latest') return error(403, head, 'tokens are issued only at /latest/api/token');
    if (req.origin === 'host') return error(403, false, HOST_REFUSED);
    return putToken(req, ctx);
  }

  const version = passwordVersion(segments, ctx.tree);
  if (version !== undefined) {
    if (req.method === 'POST') return req.origin === 'host' ? error(403, false, HOST_REFUSED) : postPassword(req, ctx);
    if (req.method !== 'GET' && !head) return error(405, head, undefined, 'GET, HEAD, POST');
    return ok(encoder.encode(ctx.password.get() ?? ''), 'text/plain', head, false);
  }
  if (req.method !== 'GET' && !head) return error(405, head, undefined, READ);

  // The EC2 tree is token-gated; the OpenStack and NoCloud trees are not, because cloud-init's readers for them
  // never send a token (its OpenStack reader crawls /latest/meta-data/ without one too, see docs/sidecar.md).
  let tokenUsed = false;
  if (segments[0] !== 'openstack' && segments[0] !== 'nocloud') {
    const token = header(req, 'x-aws-ec2-metadata-token') ?? header(req, 'x-metadata-token');
    if (token !== undefined) {
      // A token that is present must be valid even when tokens are optional: AWS answers 401 in both modes, and
      // a client then fetches a fresh token (cloud-init clears it on 401).
      if (!verifyToken(ctx.tokenKey, token, req.nowMs)) return error(401, head, 'invalid or expired token');
      tokenUsed = true;
    } else if (ctx.imdsTokens === 'required') {
      return error(401, head, 'a token is required: PUT /latest/api/token first');
    }
  }

  const body = (path !== '/' ? ctx.tree.get(path) : undefined) ?? ctx.tree.get(path === '/' ? '/' : path + '/');
  if (!body) return { ...error(404, head), tokenUsed };
  const base = segments[segments.length - 1] ?? '';
  return ok(body, JSON_DOCUMENTS.has(base) ? 'application/json' : 'text/plain', head, tokenUsed);
}

function putToken(req: SidecarRequest, ctx: HandlerContext): SidecarResponse {
  // AWS rejects token requests that went through a proxy, so a token never leaves the instance (ec2-imds.md §6).
  if (header(req, 'x-forwarded-for') !== undefined)
    return error(400, false, 'X-Forwarded-For is not allowed on token requests');
  const ttlText = header(req, 'x-aws-ec2-metadata-token-ttl-seconds') ?? header(req, 'x-metadata-token-ttl-seconds');
  const ttl = ttlText !== undefined && /^\s*\d{1,6}\s*$/.test(ttlText) ? Number(ttlText) : NaN;
  if (!(ttl >= TOKEN_TTL_MIN && ttl <= TOKEN_TTL_MAX)) {
    return error(
      400,
      false,
      `X-aws-ec2-metadata-token-ttl-seconds must be an integer ${TOKEN_TTL_MIN}..${TOKEN_TTL_MAX}`,
    );
  }
  const res = ok(encoder.encode(issueToken(ctx.tokenKey, ttl, req.nowMs)), 'text/plain', false, false);
  res.headers['x-aws-ec2-metadata-token-ttl-seconds'] = String(ttl);
  return res;
}

// Nova's password endpoint exists from 2013-04-04 under every served version, `latest` included.
function passwordVersion(segments: string[], tree: FileTree): string | undefined {
  if (segments.length !== 3 || segments[0] !== 'openstack' || segments[2] !== 'password') return undefined;
  const version = segments[1]!;
  if (version !== 'latest' && !(/^\d{4}-\d{2}-\d{2}$/.test(version) && version >= PASSWORD_SINCE)) return undefined;
  return tree.has(`/openstack/${version}/`) ? version : undefined;
}

// POST stores once; a second POST gets 409, as Nova's password.py does (cloudbase-init posts once per instance).
function postPassword(req: SidecarRequest, ctx: HandlerContext): SidecarResponse {
  const body = req.body ?? EMPTY;
  if (body.byteLength > PASSWORD_MAX_BYTES)
    return error(400, false, `password longer than ${PASSWORD_MAX_BYTES} bytes`);
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    return error(400, false, 'password is not UTF-8');
  }
  if (ctx.password.get() !== undefined) return error(409, false, 'a password is already set');
  return { ...ok(EMPTY, 'text/plain', false, false), passwordToStore: text };
}

function header(req: SidecarRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function ok(body: Uint8Array, type: string, head: boolean, tokenUsed: boolean): SidecarResponse {
  return {
    status: 200,
    headers: { 'content-type': type, 'content-length': String(body.byteLength) },
    body: head ? EMPTY : body,
    tokenUsed,
  };
}

function error(status: number, head: boolean, detail?: string, allow?: string): SidecarResponse {
  const body = encoder.encode(`${status} ${REASONS[status] ?? ''}${detail ? `: ${detail}` : ''}\n`);
  const headers: Record<string, string> = { 'content-type': 'text/plain', 'content-length': String(body.byteLength) };
  if (allow) headers.allow = allow;
  return { status, headers, body: head ? EMPTY : body, tokenUsed: false };
}
