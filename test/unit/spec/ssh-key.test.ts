import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { base64Problem, decodeBase64, encodeBase64 } from '../../../src/spec/base64.js';
import { sshKeyProblem } from '../../../src/spec/ssh-key.js';
import { KEYS } from './repo.js';

test('base64 round-trips every length and matches Buffer', () => {
  for (let n = 0; n < 70; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
    const text = encodeBase64(bytes);
    assert.equal(text, Buffer.from(bytes).toString('base64'));
    assert.deepEqual(decodeBase64(text), bytes);
  }
  assert.deepEqual(decodeBase64('aGVs\n bG8=\n'), new TextEncoder().encode('hello'));
});

test('base64Problem refuses what cloud-init would choke on or silently drop', () => {
  assert.equal(base64Problem('aGVsbG8='), null);
  assert.equal(base64Problem('aGVsbG8'), 'not base64: length 7 is not a multiple of 4');
  assert.equal(base64Problem('aGV*bG8='), 'not base64: contains "*"');
  assert.equal(base64Problem('aG=sbG8='), 'not base64: "=" padding in the middle');
  assert.equal(base64Problem('a==='), 'not base64: "=" padding in the middle');
  assert.equal(decodeBase64('a==='), null);
});

test('real OpenSSH public keys of every common type pass', () => {
  for (const key of Object.values(KEYS)) assert.equal(sshKeyProblem(key), null, key);
  assert.equal(sshKeyProblem(KEYS.ed25519.split(' ').slice(0, 2).join(' ')), null, 'the comment is optional');
  assert.equal(sshKeyProblem(`  ${KEYS.ed25519}  `), null, 'surrounding blanks are trimmed');
});

test('malformed keys are named precisely', () => {
  const [, blob] = KEYS.ed25519.split(' ');
  assert.equal(sshKeyProblem(''), 'not an OpenSSH public key ("<type> <base64> [comment]")');
  assert.equal(sshKeyProblem(blob!), 'not an OpenSSH public key ("<type> <base64> [comment]")');
  assert.equal(
    sshKeyProblem(`ssh-rsa ${blob}`),
    'key type "ssh-rsa" does not match the key data, which holds a "ssh-ed25519" key',
  );
  assert.equal(sshKeyProblem(`ssh-ed25519 ${blob!.slice(0, -4)}`), 'key data is truncated');
  const wire = (...parts: Uint8Array[]): Uint8Array =>
    Uint8Array.from(parts.flatMap((p) => [0, 0, p.length >> 8, p.length & 255, ...p]));
  const short = encodeBase64(wire(new TextEncoder().encode('ssh-ed25519'), new Uint8Array(16)));
  assert.equal(sshKeyProblem(`ssh-ed25519 ${short}`), 'key data is truncated (an ed25519 key is 32 bytes)');
  assert.equal(sshKeyProblem(`ssh-ed25519 ${blob!.slice(0, 20)}`), 'key data is truncated');
  assert.equal(sshKeyProblem(`ssh-ed25519 ${blob!.slice(1)}`), 'key data is not valid base64');
  assert.equal(
    sshKeyProblem(`ssh-foo ${blob}`),
    'unknown key type "ssh-foo" (expected one of ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com)',
  );
  assert.equal(
    sshKeyProblem(`no-pty,command="x" ${KEYS.ed25519}`),
    'not an OpenSSH public key: options or a missing key type before the base64 blob',
  );
  assert.equal(sshKeyProblem(`${KEYS.ed25519}\n${KEYS.rsa}`), 'contains a line break (one key per entry)');
  assert.match(sshKeyProblem('ssh-dss AAAAB3NzaC1kc3MAAACBAP x')!, /^ssh-dss \(DSA\) keys are refused/);
});
