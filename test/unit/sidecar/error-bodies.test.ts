// Every error the sidecar can answer, pinned byte for byte with its status and Allow header (Firecracker's MMDS
// pins each of its messages the same way). A guest's client or an operator's script may match on these; a change
// here is a change they see.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { handleRequest, type SidecarRequest } from '../../../src/sidecar/handler.js';
import { issueToken } from '../../../src/sidecar/tokens.js';
import { handTree, TEST_KEY } from '../../helpers/sidecar.js';

const NOW = 1_700_000_000_000;
const tree = handTree('v1');
const HOST_REFUSED =
  "403 Forbidden: only the guest may do this: use the VM's socket or metadata address, not a loopback listener every local user can reach\n";

interface Case {
  what: string;
  req: Partial<SidecarRequest> & { url: string };
  tokens?: 'optional' | 'required';
  stored?: string;
  status: number;
  body: string;
  allow?: string;
}

const expired = issueToken(TEST_KEY, 1, NOW - 2000);
const CASES: Case[] = [
  {
    what: 'URL too long',
    req: { url: '/' + 'a'.repeat(2048) },
    status: 414,
    body: '414 URI Too Long: URL longer than 2048 bytes\n',
  },
  {
    what: 'not an absolute path',
    req: { url: 'latest' },
    status: 400,
    body: '400 Bad Request: request target is not an absolute path\n',
  },
  {
    what: 'raw backslash',
    req: { url: '/latest\\meta-data' },
    status: 400,
    body: '400 Bad Request: backslash in path\n',
  },
  {
    what: 'bad percent-encoding',
    req: { url: '/latest/%zz' },
    status: 400,
    body: '400 Bad Request: malformed percent-encoding\n',
  },
  {
    what: 'encoded NUL',
    req: { url: '/latest/%00' },
    status: 400,
    body: '400 Bad Request: control character or backslash in path\n',
  },
  {
    what: 'climbing above /',
    req: { url: '/../etc/passwd' },
    status: 400,
    body: '400 Bad Request: path climbs above /\n',
  },
  { what: 'absent document', req: { url: '/openstack/latest/nothing' }, status: 404, body: '404 Not Found\n' },
  {
    what: 'write to a document',
    req: { method: 'POST', url: '/openstack/latest/meta_data.json' },
    status: 405,
    body: '405 Method Not Allowed\n',
    allow: 'GET, HEAD',
  },
  {
    what: 'GET on the token endpoint',
    req: { url: '/latest/api/token' },
    status: 405,
    body: '405 Method Not Allowed\n',
    allow: 'PUT',
  },
  {
    what: 'token at a dated path',
    req: { method: 'PUT', url: '/2009-04-04/api/token' },
    status: 403,
    body: '403 Forbidden: tokens are issued only at /latest/api/token\n',
  },
  {
    what: 'token from a loopback listener',
    req: {
      method: 'PUT',
      url: '/latest/api/token',
      origin: 'host',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
    },
    status: 403,
    body: HOST_REFUSED,
  },
  {
    what: 'token through a proxy',
    req: {
      method: 'PUT',
      url: '/latest/api/token',
      headers: { 'x-forwarded-for': '10.0.0.1', 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
    },
    status: 400,
    body: '400 Bad Request: X-Forwarded-For is not allowed on token requests\n',
  },
  {
    what: 'token without a TTL',
    req: { method: 'PUT', url: '/latest/api/token' },
    status: 400,
    body: '400 Bad Request: X-aws-ec2-metadata-token-ttl-seconds must be an integer 1..21600\n',
  },
  {
    what: 'token TTL too long',
    req: { method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21601' } },
    status: 400,
    body: '400 Bad Request: X-aws-ec2-metadata-token-ttl-seconds must be an integer 1..21600\n',
  },
  {
    what: 'EC2 read without a required token',
    req: { url: '/latest/meta-data/' },
    tokens: 'required',
    status: 401,
    body: '401 Unauthorized: a token is required: PUT /latest/api/token first\n',
  },
  {
    what: 'expired token',
    req: { url: '/latest/meta-data/', headers: { 'x-aws-ec2-metadata-token': expired } },
    status: 401,
    body: '401 Unauthorized: invalid or expired token\n',
  },
  {
    what: 'password from a loopback listener',
    req: { method: 'POST', url: '/openstack/latest/password', origin: 'host', body: Buffer.from('x') },
    status: 403,
    body: HOST_REFUSED,
  },
  {
    what: 'password too long',
    req: { method: 'POST', url: '/openstack/latest/password', body: new Uint8Array(1021).fill(65) },
    status: 400,
    body: '400 Bad Request: password longer than 1020 bytes\n',
  },
  {
    what: 'password not UTF-8',
    req: { method: 'POST', url: '/openstack/latest/password', body: new Uint8Array([0xff]) },
    status: 400,
    body: '400 Bad Request: password is not UTF-8\n',
  },
  {
    what: 'second password',
    req: { method: 'POST', url: '/openstack/latest/password', body: Buffer.from('x') },
    stored: 'first',
    status: 409,
    body: '409 Conflict: a password is already set\n',
  },
  {
    what: 'PUT on the password',
    req: { method: 'PUT', url: '/openstack/latest/password' },
    status: 405,
    body: '405 Method Not Allowed\n',
    allow: 'GET, HEAD, POST',
  },
];

function answer(c: Case, method = c.req.method ?? 'GET') {
  return handleRequest(
    { headers: {}, nowMs: NOW, ...c.req, method },
    { tree, imdsTokens: c.tokens ?? 'optional', tokenKey: TEST_KEY, password: { get: () => c.stored } },
  );
}

test('every error status, body and Allow header is pinned', () => {
  for (const c of CASES) {
    const res = answer(c);
    assert.equal(res.status, c.status, c.what);
    assert.equal(Buffer.from(res.body).toString('utf8'), c.body, c.what);
    assert.equal(res.headers['content-type'], 'text/plain', c.what);
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(c.body)), c.what);
    assert.equal(res.headers.allow, c.allow, c.what);
  }
});

test('HEAD gets the same status and headers with an empty body', () => {
  for (const c of CASES.filter((k) => (k.req.method ?? 'GET') === 'GET')) {
    const res = answer(c, 'HEAD');
    assert.equal(res.status, c.status, c.what);
    assert.equal(res.body.byteLength, 0, c.what);
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(c.body)), c.what);
  }
});
