// The guestfwd connector for real: the command string vmmeta hands QEMU, split the way libslirp does (shell
// quoting; here by /bin/sh, which reads single quotes the same way as g_shell_parse_argv), relays a request to a
// UNIX socket and the answer back, and prints nothing at all when the sidecar is missing (its stderr would go to
// the guest's TCP stream).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guestfwdConnector } from '../../src/hypervisor/connector.js';

function run(cmd: string, input: string): Promise<{ stdout: string; stderr: string; code: number | null; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn('/bin/sh', ['-c', cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code, ms: Date.now() - t0 }));
    // Without a sidecar the connector exits before reading its input, and the write can then fail with EPIPE
    // (seen in 2 of 1,500 runs, more under load): that is the behaviour under test, not a harness error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

test('socat relays one HTTP exchange to the sidecar socket', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmmeta-conn-'));
  const sock = join(dir, 'sidecar.sock');
  const server = createServer((c) => {
    let req = '';
    c.on('data', (d) => {
      req += d;
      if (req.includes('\r\n\r\n')) c.end(`HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok`);
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    const res = await run(guestfwdConnector(sock), 'GET /openstack HTTP/1.0\r\nHost: 169.254.169.254\r\n\r\n');
    assert.equal(res.stdout, 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');
    assert.equal(res.stderr, '');
    assert.ok(res.ms < 5000, `took ${res.ms} ms`);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no sidecar: the connector fails silently', async () => {
  const res = await run(guestfwdConnector('/nonexistent/vmmeta/sidecar.sock'), 'GET / HTTP/1.0\r\n\r\n');
  assert.notEqual(res.code, 0);
  assert.equal(res.stdout + res.stderr, '');
});
