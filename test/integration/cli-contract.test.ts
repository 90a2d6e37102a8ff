// The CLI's output contract on the paths an operator hits first (issue 20): a reader that goes away (`| head`),
// help for the sidecar entry, examples that match the real defaults, errors that name the real cause.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, EXAMPLES, vmmeta, tempRoot, cleanupRoot, writeSpec } from '../helpers/cli.js';

const root = tempRoot();
const specDir = tempRoot('vmspec-');
after(async () => {
  await cleanupRoot(root);
  await cleanupRoot(specDir);
});

// Like `vmmeta … | head -0`: the reading end of stdout is closed before the command writes, so its first write
// fails with EPIPE every time (a real `head` races the writer and hides the bug when the output is small).
function withClosedStdout(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', VMMETA_STATE_DIR: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

test('EPIPE: `logs vm1 -n 300 | head` and `create --help | head` end quietly with exit 0, no stack trace', async () => {
  assert.equal((await vmmeta(['create', writeSpec(specDir, 'pipe'), '--no-start'], { root })).code, 0);
  const line = (i: number) =>
    JSON.stringify({
      time: new Date(1_700_000_000_000 + i).toISOString(),
      method: 'GET',
      path: `/latest/meta-data/${i}`,
      status: 200,
      bytes: 10,
      ms: 1,
      client: '10.0.2.15',
      token: false,
    });
  writeFileSync(join(root, 'pipe', 'access.ndjson'), Array.from({ length: 300 }, (_, i) => line(i)).join('\n') + '\n');
  for (const args of [
    ['logs', 'pipe', '-n', '300'],
    ['create', '--help'],
    ['--help'],
    ['list'],
    ['logs', '--json', 'pipe', '-n', '300'],
  ]) {
    const r = await withClosedStdout(args);
    assert.equal(r.stderr, '', `${args.join(' ')}: ${r.stderr}`);
    assert.deepEqual([r.code, r.signal], [0, null], args.join(' '));
  }
});

test('serve --help (routed before commander) and `vmmeta help serve` both list --listen and --allow-all-interfaces', async () => {
  const direct = await vmmeta(['serve', '--help']);
  assert.equal(direct.code, 0);
  const viaCommander = await vmmeta(['help', 'serve']);
  assert.equal(viaCommander.code, 0);
  for (const out of [direct.stdout, viaCommander.stdout]) {
    assert.match(out, /--listen <addr> +listen here instead of the spec's sidecar\.listen/);
    assert.match(out, /--allow-all-interfaces +allow --listen 0\.0\.0\.0/);
    assert.match(out, /Examples:\n {2}\$ vmmeta serve vm1\n/);
  }
});

test('the create --help example reads qemu-args.txt from the real default state root (/var/lib/vmmeta as root)', async (t) => {
  const env = { VMMETA_STATE_DIR: undefined, XDG_STATE_HOME: undefined };
  const r = await vmmeta(['create', '--help'], { env });
  assert.equal(r.code, 0);
  if (process.getuid?.() === 0) assert.match(r.stdout, /mapfile -t A < \/var\/lib\/vmmeta\/vm1\/qemu-args\.txt;/);
  else t.diagnostic('not root: only the VMMETA_STATE_DIR case is checked');
  assert.doesNotMatch(r.stdout, /~\/\.local\/state/);
  const custom = await vmmeta(['create', '--help'], { env: { VMMETA_STATE_DIR: '/srv/vmm' } });
  assert.match(custom.stdout, /mapfile -t A < \/srv\/vmm\/vm1\/qemu-args\.txt;/);
});

test('inspect --show-secrets shows user-data and the token key in human mode too; without it they are redacted', async () => {
  const spec = writeSpec(specDir, 'sec', 'userData: |\n  #cloud-config\n  chpasswd: {list: "root:hunter2-secret"}\n');
  assert.equal((await vmmeta(['create', spec, '--no-start'], { root })).code, 0);
  const hidden = await vmmeta(['inspect', 'sec'], { root });
  assert.equal(hidden.code, 0, hidden.stderr);
  assert.doesNotMatch(hidden.stdout, /hunter2-secret/);
  assert.match(hidden.stdout, /Secrets\n {2}token key: +<redacted: --show-secrets>\n/);
  assert.match(hidden.stdout, /user-data: +<redacted: --show-secrets>/);
  const shown = await vmmeta(['inspect', 'sec', '--show-secrets'], { root });
  assert.equal(shown.code, 0, shown.stderr);
  const tokenKey = (
    JSON.parse((await vmmeta(['inspect', 'sec', '--show-secrets', '--json'], { root })).stdout) as {
      secrets: { tokenKey: string };
    }
  ).secrets.tokenKey;
  assert.match(shown.stdout, new RegExp(`token key: +${tokenKey.replace(/[+/]/g, '\\$&')}\n`));
  assert.match(
    shown.stdout,
    /user-data: +\d+ bytes:\n {4}#cloud-config\n {4}chpasswd: \{list: "root:hunter2-secret"\}\n/,
  );
  assert.doesNotMatch(shown.stdout, /<redacted/);
});

test('a user who cannot read the state root: inspect reports the permission error (exit 1), not "no VM named"', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to run a command as another user');
  const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  if (nobody.status !== 0) return t.skip('no user nobody');
  const locked = tempRoot('vmlocked-');
  try {
    assert.equal((await vmmeta(['create', writeSpec(specDir, 'perm'), '--no-start'], { root: locked })).code, 0);
    chmodSync(locked, 0o700);
    const asNobody = (args: string[]) =>
      spawnSync(process.execPath, [BIN, ...args], {
        uid: Number(nobody.stdout),
        gid: 65534,
        env: { PATH: process.env.PATH, NO_COLOR: '1', VMMETA_STATE_DIR: locked },
        encoding: 'utf8',
      });
    for (const args of [
      ['inspect', 'perm'],
      ['logs', 'perm'],
      ['delete', 'perm'],
    ]) {
      const r = asNobody(args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      // The folder-safety check (lstat of the VM folder) is the first thing to hit the wall.
      assert.equal(
        r.stderr,
        `vmmeta: cannot lstat ${locked}/perm: permission denied (EACCES)\nhint: run as the user who owns the state root, or pass --state-dir\n`,
        args.join(' '),
      );
    }
    const j = asNobody(['inspect', 'perm', '--json']);
    assert.equal(JSON.parse(j.stdout).error.code, 1);
  } finally {
    chmodSync(locked, 0o755);
    await cleanupRoot(locked);
  }
});

test('a failed create does not point to the sidecar.log it removed, and a 1 ms timeout is not "within 0 s"', async () => {
  const spec = writeSpec(specDir, 'slow');
  const r = await vmmeta(['create', spec], { root, env: { VMMETA_READY_TIMEOUT_MS: '1' } });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^vmmeta: the sidecar of slow did not answer within 1 ms; slow was not created$/m);
  assert.doesNotMatch(r.stderr, /within 0 s/);
  assert.ok(!existsSync(join(root, 'slow')), 'the VM was rolled back');
  const hint = /^hint: (.*)$/m.exec(r.stderr)?.[1] ?? '';
  assert.doesNotMatch(hint, /see \S*sidecar\.log/, 'no hint to read a removed file');
  assert.match(
    hint,
    /sidecar\.log was removed with the VM; to watch the sidecar start: vmmeta create --no-start \S+slow\.yaml && vmmeta serve slow$/,
  );
  // The hint's way works: the foreground sidecar starts and reports ready.
  const noStart = await vmmeta(['create', spec, '--no-start'], { root });
  assert.equal(noStart.code, 0, noStart.stderr);
});

function follow(vm: string): {
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
  kill: () => void;
} {
  const child = spawn(process.execPath, [BIN, 'logs', '-f', '-n', '0', vm], {
    env: { ...process.env, NO_COLOR: '1', VMMETA_STATE_DIR: root },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { out: () => out, err: () => err, exited, kill: () => child.kill('SIGKILL') };
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still running after ${ms} ms`)), ms)),
  );
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test(
  'logs -f stops with a message (exit 1) when the sidecar dies, and with exit 3 when the VM is deleted',
  { timeout: 60_000 },
  async () => {
    const created = await vmmeta(['create', writeSpec(specDir, 'fol'), '--json'], { root });
    assert.equal(created.code, 0, created.stderr);
    const pid = (JSON.parse(created.stdout) as { sidecar: { pid: number } }).sidecar.pid;
    const f = follow('fol');
    try {
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(f.err(), '', 'a running sidecar is followed quietly');
      process.kill(pid, 'SIGKILL');
      assert.equal(await within(f.exited, 10_000, 'logs -f after the sidecar died'), 1);
      assert.equal(
        f.err(),
        'vmmeta: the sidecar of fol is not running: no more requests will arrive\nhint: start it with: vmmeta start fol (then vmmeta logs -f fol again)\n',
      );
    } finally {
      f.kill();
    }
    assert.equal((await vmmeta(['start', 'fol'], { root })).code, 0);
    const g = follow('fol');
    try {
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await vmmeta(['delete', 'fol'], { root })).code, 0);
      assert.equal(await within(g.exited, 10_000, 'logs -f after delete'), 3);
      assert.equal(g.err(), 'vmmeta: fol was deleted: no more requests will arrive\n');
    } finally {
      g.kill();
    }
  },
);

test(
  'logs -f keeps following across a restart (stop, then start within the grace time)',
  { timeout: 60_000 },
  async () => {
    assert.equal((await vmmeta(['create', writeSpec(specDir, 'rst')], { root })).code, 0);
    const f = follow('rst');
    try {
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await vmmeta(['stop', 'rst'], { root })).code, 0);
      assert.equal((await vmmeta(['start', 'rst'], { root })).code, 0);
      const ended = await Promise.race([f.exited, new Promise((r) => setTimeout(() => r('running'), 3000))]);
      assert.equal(ended, 'running', f.err());
    } finally {
      f.kill();
    }
  },
);

test('README quick start, as written: the command it gives to stop the demo keeps the VM whole (same uuid, start brings it back)', async () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const create = /node bin\/vmmeta\.js (create templates\/examples\/minimal\.yaml --state-dir \.\/\.vmmeta-state)/.exec(
    readme,
  )?.[1];
  const stop = /Stop (?:it|its sidecar) with `node bin\/vmmeta\.js ([^`]+)`/.exec(readme)?.[1];
  assert.ok(create && stop, 'the quick start names both commands');
  const dir = tempRoot('vmreadme-');
  const run = (line: string) =>
    vmmeta(
      line
        .replace(/\.\/\.vmmeta-state/g, dir)
        .replace('templates/examples/', EXAMPLES)
        .split(' '),
    );
  try {
    const made = await run(`${create} --json`);
    assert.equal(made.code, 0, made.stderr);
    const uuid = (JSON.parse(made.stdout) as { uuid: string }).uuid;
    const stopped = await run(stop);
    assert.equal(stopped.code, 0, stopped.stderr);
    const after = await vmmeta(['inspect', 'demo', '--json', '--state-dir', dir]);
    assert.equal(after.code, 0, `after "${stop}" the VM must still exist: ${after.stderr}`);
    const doc = JSON.parse(after.stdout) as { uuid: string; sidecar: { state: string } };
    assert.deepEqual([doc.uuid, doc.sidecar.state], [uuid, 'stopped']);
    assert.equal((await vmmeta(['start', 'demo', '--state-dir', dir])).code, 0);
    assert.equal((await vmmeta(['stop', 'demo', '--state-dir', dir])).code, 0);
  } finally {
    await cleanupRoot(dir);
  }
});
