import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { handleRequest, type HandlerContext, type SidecarRequest } from '../../../src/sidecar/handler.js';
import { handTree, TEST_KEY } from '../../helpers/sidecar.js';

const NOW = 1_700_000_000_000;
const tree = handTree('v1');
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

function ctx(over: Partial<HandlerContext> = {}, stored?: string): HandlerContext {
  return { tree, imdsTokens: 'optional', tokenKey: TEST_KEY, password: { get: () => stored }, ...over };
}
function req(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  extra: Partial<SidecarRequest> = {},
): SidecarRequest {
  return { method, url, headers, nowMs: NOW, ...extra };
}
function get(url: string, c = ctx(), headers: Record<string, string> = {}) {
  return handleRequest(req('GET', url, headers), c);
}

test('every leaf and listing of the tree is served byte for byte, with or without a trailing slash', () => {
  for (const [path, bytes] of tree) {
    for (const url of [path, path.endsWith('/') && path !== '/' ? path.slice(0, -1) : path + '/']) {
      const res = get(url);
      assert.equal(res.status, 200, url);
      assert.deepEqual(res.body, bytes, url);
      assert.equal(res.headers['content-length'], String(bytes.byteLength));
    }
  }
});

test('content types follow Nova: only meta_data.json and vendor_data*.json are JSON', () => {
  const cases: [string, string][] = [
    ['/openstack/latest/meta_data.json', 'application/json'],
    ['/openstack/latest/vendor_data.json', 'application/json'],
    ['/openstack/latest/vendor_data2.json', 'application/json'],
    ['/openstack/latest/network_data.json', 'text/plain'],
    ['/openstack/latest/user_data', 'text/plain'],
    ['/openstack', 'text/plain'],
    ['/latest/meta-data/', 'text/plain'],
    ['/2009-04-04/meta-data/instance-id', 'text/plain'],
  ];
  for (const [url, type] of cases) assert.equal(get(url).headers['content-type'], type, url);
});

test('listings and EC2 public keys keep the 0=name form', () => {
  assert.equal(text(get('/latest/meta-data/public-keys/').body), '0=k');
  assert.equal(text(get('/latest/meta-data/public-keys/0').body), 'openssh-key');
  assert.match(text(get('/openstack').body), /latest/);
});

test('query strings are ignored, // collapses, dot segments resolve inside the tree', () => {
  const want = tree.get('/openstack/latest/meta_data.json');
  for (const url of [
    '/openstack/latest/meta_data.json?x=1',
    '//openstack//latest///meta_data.json',
    '/openstack/./latest/meta_data.json',
    '/openstack/2018-08-27/../latest/meta_data.json',
    '/openstack/%6catest/meta_data.json',
    'http://169.254.169.254/openstack/latest/meta_data.json',
  ]) {
    const res = get(url);
    assert.equal(res.status, 200, url);
    assert.deepEqual(res.body, want, url);
  }
});

test('traversal and malformed paths are refused, never resolved outside the tree', () => {
  const cases: [string, number][] = [
    ['/..', 400],
    ['/../etc/passwd', 400],
    ['/openstack/../../etc/passwd', 400],
    ['/%2e%2e/etc/passwd', 400],
    ['/%2E%2E%2Fetc%2Fpasswd', 400],
    ['/openstack/%2e%2e/%2e%2e/%2e%2e/etc/shadow', 400],
    ['/openstack/latest/meta_data.json%00', 400],
    ['/openstack/latest/meta_data.json%00.txt', 400],
    ['/openstack\\latest\\meta_data.json', 400],
    ['/openstack%5clatest%5cmeta_data.json', 400],
    ['/%', 400],
    ['/%zz', 400],
    ['/%c3%28', 400],
    ['*', 400],
    ['/%252e%252e/etc/passwd', 404],
    ['/etc/passwd', 404],
    ['/openstack/2099-01-01/meta_data.json', 404],
    ['/' + 'a'.repeat(2100), 414],
  ];
  for (const [url, status] of cases) {
    const res = get(url);
    assert.equal(res.status, status, url);
    assert.equal(res.headers['content-type'], 'text/plain');
    assert.ok(res.body.byteLength < 200, url);
  }
});

test('methods: HEAD has headers but no body; others get 405 with Allow', () => {
  const head = handleRequest(req('HEAD', '/openstack/latest/meta_data.json'), ctx());
  assert.equal(head.status, 200);
  assert.equal(head.body.byteLength, 0);
  assert.equal(head.headers['content-length'], String(tree.get('/openstack/latest/meta_data.json')!.byteLength));
  for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const res = handleRequest(req(m, '/openstack/latest/meta_data.json'), ctx());
    assert.equal(res.status, 405, m);
    assert.equal(res.headers.allow, 'GET, HEAD');
  }
  assert.equal(handleRequest(req('DELETE', '/openstack/latest/password'), ctx()).headers.allow, 'GET, HEAD, POST');
  const tokenGet = get('/latest/api/token');
  assert.equal(tokenGet.status, 405);
  assert.equal(tokenGet.headers.allow, 'PUT');
});

test('IMDSv2: PUT issues a token (TTL echoed), reads accept it, expiry and forgery give 401', () => {
  const put = handleRequest(req('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '60' }), ctx());
  assert.equal(put.status, 200);
  assert.equal(put.headers['x-aws-ec2-metadata-token-ttl-seconds'], '60');
  const token = text(put.body);
  assert.match(token, /^[A-Za-z0-9_-]{32}$/);
  const required = ctx({ imdsTokens: 'required' });
  const ok = handleRequest(
    req('GET', '/2009-04-04/meta-data/instance-id', { 'x-aws-ec2-metadata-token': token }),
    required,
  );
  assert.equal(ok.status, 200);
  assert.equal(ok.tokenUsed, true);
  assert.equal(text(ok.body), 'i-v1');
  // Firecracker's header name works too.
  assert.equal(handleRequest(req('GET', '/latest/meta-data/', { 'x-metadata-token': token }), required).status, 200);
  const late = handleRequest(
    req('GET', '/latest/meta-data/', { 'x-aws-ec2-metadata-token': token }, { nowMs: NOW + 60_000 }),
    required,
  );
  assert.equal(late.status, 401);
  const justInTime = handleRequest(
    req('GET', '/latest/meta-data/', { 'x-aws-ec2-metadata-token': token }, { nowMs: NOW + 59_999 }),
    required,
  );
  assert.equal(justInTime.status, 200);
  const otherKey = ctx({ imdsTokens: 'required', tokenKey: new Uint8Array(32).fill(8) });
  assert.equal(
    handleRequest(req('GET', '/latest/meta-data/', { 'x-aws-ec2-metadata-token': token }), otherKey).status,
    401,
  );
  const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
  assert.equal(
    handleRequest(req('GET', '/latest/meta-data/', { 'x-aws-ec2-metadata-token': flipped }), required).status,
    401,
  );
});

test('IMDSv2 modes: required gates the EC2 tree only; a bad token is 401 even when optional', () => {
  const required = ctx({ imdsTokens: 'required' });
  assert.equal(get('/latest/meta-data/', required).status, 401);
  assert.equal(get('/', required).status, 401);
  assert.equal(get('/no/such/path', required).status, 401);
  assert.equal(get('/openstack/latest/meta_data.json', required).status, 200);
  assert.equal(get('/latest/meta-data/').status, 200);
  assert.equal(get('/latest/meta-data/', ctx(), { 'x-aws-ec2-metadata-token': 'bogus' }).status, 401);
  // OpenStack paths ignore token headers entirely.
  assert.equal(get('/openstack/latest/meta_data.json', ctx(), { 'x-aws-ec2-metadata-token': 'bogus' }).status, 200);
});

test('IMDSv2 token PUT: TTL bounds, X-Forwarded-For, dated paths', () => {
  const put = (url: string, headers: Record<string, string>) => handleRequest(req('PUT', url, headers), ctx()).status;
  for (const ttl of ['0', '21601', '-1', '1.5', 'abc', '', '99999999'])
    assert.equal(put('/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': ttl }), 400, ttl);
  assert.equal(put('/latest/api/token', {}), 400);
  for (const ttl of ['1', '21600'])
    assert.equal(put('/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': ttl }), 200, ttl);
  assert.equal(put('/latest/api/token', { 'x-metadata-token-ttl-seconds': '5' }), 200);
  assert.equal(
    put('/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '5', 'x-forwarded-for': '10.0.0.1' }),
    400,
  );
  assert.equal(put('/2021-03-23/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '5' }), 403);
  assert.equal(put('/latest/api/token/', { 'x-aws-ec2-metadata-token-ttl-seconds': '5' }), 200);
});

test('password: GET empty until set, POST stores once, 409 after, size and version limits', () => {
  assert.equal(get('/openstack/latest/password').status, 200);
  assert.equal(get('/openstack/latest/password').body.byteLength, 0);
  assert.equal(text(get('/openstack/2018-08-27/password', ctx({}, 'secret')).body), 'secret');
  const post = (url: string, body: Uint8Array, stored?: string) =>
    handleRequest(req('POST', url, {}, { body }), ctx({}, stored));
  const first = post('/openstack/latest/password', Buffer.from('enc-pass'));
  assert.equal(first.status, 200);
  assert.equal(first.passwordToStore, 'enc-pass');
  assert.equal(post('/openstack/2018-08-27/password', Buffer.from('x'), 'enc-pass').status, 409);
  assert.equal(post('/openstack/latest/password', new Uint8Array(1021).fill(65)).status, 400);
  assert.equal(post('/openstack/latest/password', new Uint8Array(1020).fill(65)).status, 200);
  assert.equal(post('/openstack/latest/password', new Uint8Array([0xff, 0xfe])).status, 400);
  // Before 2013-04-04 and for versions the tree does not serve, there is no password endpoint.
  assert.equal(get('/openstack/2012-08-10/password').status, 404);
  assert.equal(post('/openstack/2012-08-10/password', Buffer.from('x')).status, 405);
  assert.equal(get('/openstack/2099-01-01/password').status, 404);
  assert.equal(post('/latest/meta-data/', Buffer.from('x')).status, 405);
});

test('unknown paths are 404 with a short text body', () => {
  const res = get('/openstack/latest/nope.json');
  assert.equal(res.status, 404);
  assert.equal(text(res.body), '404 Not Found\n');
});

test('from the host (a loopback listener): no password POST, no token PUT; reads still answer', () => {
  const host = { origin: 'host' as const };
  const post = handleRequest(
    req('POST', '/openstack/latest/password', {}, { body: new TextEncoder().encode('hijack'), ...host }),
    ctx(),
  );
  assert.equal(post.status, 403);
  assert.equal(post.passwordToStore, undefined);
  assert.match(text(post.body), /only the guest may do this/);
  assert.equal(
    handleRequest(req('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '60' }, host), ctx())
      .status,
    403,
  );
  assert.equal(handleRequest(req('GET', '/openstack/latest/meta_data.json', {}, host), ctx()).status, 200);
  // The guest's path: both work.
  const guest = { origin: 'guest' as const };
  assert.equal(
    handleRequest(
      req('POST', '/openstack/latest/password', {}, { body: new TextEncoder().encode('pw'), ...guest }),
      ctx(),
    ).passwordToStore,
    'pw',
  );
  assert.equal(
    handleRequest(req('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '60' }, guest), ctx())
      .status,
    200,
  );
});
