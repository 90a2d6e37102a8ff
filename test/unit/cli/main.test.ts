// main() with an in-memory io: exit codes for usage errors, UserErrors and help; --json error documents.
import { test, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/context.js';

const root = mkdtempSync(join(tmpdir(), 'main-'));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    env: { VMMETA_STATE_DIR: root },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    columns: 80,
  };
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
  const commands = [
    'validate',
    'render',
    'explain',
    'create',
    'update',
    'inspect',
    'list',
    'logs',
    'start',
    'stop',
    'delete',
    'doctor',
    'serve',
  ];
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

test('help, help <command> and --help exit 0 on stdout; a bare vmmeta prints the usage on stderr and exits 2', async () => {
  for (const args of [['help'], ['help', 'create'], ['create', '--help'], ['--help']]) {
    const r = await run(...args);
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.out, /^Usage: vmmeta/, args.join(' '));
    assert.equal(r.err, '');
  }
  assert.match((await run('help', 'create')).out, /^Usage: vmmeta create /);
  const bare = await run();
  assert.equal(bare.code, 2);
  assert.equal(bare.out, '');
  assert.match(bare.err, /^Usage: vmmeta \[options\] \[command\]/);
});

test('--json always prints one JSON document: help, help <command>, --version, a bare vmmeta', async () => {
  const help = await run('--json', 'help', 'create');
  assert.equal(help.code, 0);
  const doc = JSON.parse(help.out) as { ok: boolean; help: string };
  assert.equal(doc.ok, true);
  assert.match(doc.help, /^Usage: vmmeta create /);
  assert.match(JSON.parse((await run('--json', 'help')).out).help, /^Usage: vmmeta \[options\]/);
  assert.match(JSON.parse((await run('--json', 'list', '--help')).out).help, /^Usage: vmmeta list/);
  assert.deepEqual(JSON.parse((await run('--json', '--version')).out), {
    ok: true,
    version: JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')).version,
  });
  const bare = await run('--json');
  assert.equal(bare.code, 2);
  assert.equal(bare.err, '');
  assert.deepEqual(JSON.parse(bare.out).error, {
    message: 'no command given',
    code: 2,
    details: [],
    hint: 'vmmeta --help',
  });
});

test('usage errors print the documented "vmmeta: …" with a hint naming the right --help, exit 2', async () => {
  const opt = await run('list', '--bogus');
  assert.equal(opt.code, 2);
  assert.equal(opt.err, "vmmeta: unknown option '--bogus'\nhint: vmmeta list --help\n");
  const cmd = await run('bogus');
  assert.match(cmd.err, /^vmmeta: unknown command 'bogus'\n {2}\(Did you mean .*\)\nhint: vmmeta --help\n$/);
  const missing = await run('libvirt', 'patch', 'x.xml');
  assert.equal(missing.err, "vmmeta: missing required argument 'vm'\nhint: vmmeta libvirt patch --help\n");
  assert.doesNotMatch(opt.err + cmd.err + missing.err, /^error:/m);
});

test('--version prints the package version and exits 0', async () => {
  const r = await run('--version');
  assert.equal(r.code, 0);
  assert.equal(
    r.out,
    `${JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')).version}\n`,
  );
});
