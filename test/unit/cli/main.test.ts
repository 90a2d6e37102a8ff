// main() with an in-memory io: exit codes for usage errors, UserErrors and help; --json error documents.
import { test, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type Io } from '../../../src/cli/main.js';

const root = mkdtempSync(join(tmpdir(), 'main-'));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), env: { VMMETA_STATE_DIR: root }, stdoutIsTTY: false, stderrIsTTY: false, columns: 80 };
  process.exitCode = undefined;
  await main(['node', 'vmmeta', ...args], io);
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, out, err };
}
afterEach(() => {
  process.exitCode = undefined;
});

test('usage errors exit 2: unknown command, unknown option, missing argument, no command', async () => {
  for (const args of [['bogus'], ['list', '--bogus'], ['create'], [], ['inspect', 'a', 'b'], ['render', 'x.yaml']]) {
    const r = await run(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.equal(r.out.includes('"ok"'), false);
  }
});

test('--help exits 0 and every command has examples', async () => {
  const top = await run('--help');
  assert.equal(top.code, 0);
  const commands = ['validate', 'render', 'explain', 'create', 'update', 'inspect', 'list', 'logs', 'start', 'stop', 'delete', 'doctor', 'serve'];
  for (const c of commands) {
    assert.match(top.out, new RegExp(`\\n  ${c}[ |]`), c);
    const h = await run(c, '--help');
    assert.equal(h.code, 0, c);
    assert.match(h.out, /Examples:\n  \$ /, `${c} --help has examples`);
  }
  const patch = await run('libvirt', 'patch', '--help');
  assert.match(patch.out, /Examples:/);
});

test('a missing VM exits 3 with the message on stderr, or a JSON error document on stdout', async () => {
  const r = await run('inspect', 'nope');
  assert.equal(r.code, 3);
  assert.equal(r.out, '');
  assert.match(r.err, /^vmmeta: no VM named nope in .*\nhint: /);
  const j = await run('inspect', 'nope', '--json');
  assert.equal(j.code, 3);
  assert.equal(j.err, '');
  assert.deepEqual(Object.keys(JSON.parse(j.out).error), ['message', 'code', 'details', 'hint']);
});

test('--json usage errors print a JSON error document too', async () => {
  const r = await run('list', '--json', '--bogus');
  assert.equal(r.code, 2);
  const doc = JSON.parse(r.out);
  assert.equal(doc.ok, false);
  assert.equal(doc.error.code, 2);
  assert.match(doc.error.message, /unknown option '--bogus'/);
});

test('an invalid VM name is invalid input (exit 2); list of an empty root is ok', async () => {
  assert.equal((await run('inspect', '../etc')).code, 2);
  const l = await run('list', '--json');
  assert.equal(l.code, 0);
  assert.deepEqual(JSON.parse(l.out), { ok: true, root, vms: [] });
});
