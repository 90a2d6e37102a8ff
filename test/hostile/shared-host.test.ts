// A shared host: a real second local user, created here (useradd) and removed after, tries what issue 19 found.
// Root runs vmmeta; the user acts through setpriv. They must get no metadata in the default setup, must not set
// the password or mint a token on an explicit loopback listener, their planted links must never be written
// through, and a state root they own or can write must be refused with a clear error.
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { BIN, killServes, sidecarPid, stackTrace, tempDir, vmmeta, writeSpec } from './fault-kit.js';

const USER = `vmmeta-t19-${process.pid}`;
const SECRET = `t19-secret-${process.pid}`;
const skip =
  process.getuid?.() !== 0
    ? 'needs root (useradd)'
    : spawnSync('setpriv', ['--version']).status !== 0
      ? 'needs setpriv'
      : false;
let uid = 0;
let gid = 0;
const work = tempDir('shared');
const roots: string[] = [];

before(() => {
  if (skip) return;
  const made = spawnSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', USER], {
    encoding: 'utf8',
  });
  assert.equal(made.status, 0, made.stderr);
  uid = Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout);
  gid = Number(spawnSync('id', ['-g', USER], { encoding: 'utf8' }).stdout);
  assert.ok(uid > 0 && gid > 0);
  chmodSync(work, 0o711); // the user may pass through, not list or write
});

after(() => {
  for (const r of roots) killServes(r);
  rmSync(work, { recursive: true, force: true });
  if (!skip) spawnSync('userdel', [USER]);
});

// Runs as the second user: no supplementary groups, no capabilities.
function asUser(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd: '/',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The user's attack, as one node script: every request it can make, with what came back.
const ATTACK = `const http = require('node:http'); const fs = require('node:fs');
const [dir, ...ports] = process.argv.slice(1);
const ask = (o, body) => new Promise((r) => { const q = http.request({ ...o, agent: false, timeout: 3000 }, (s) => { let b = ''; s.on('data', (d) => (b += d)); s.on('end', () => r({ status: s.statusCode, body: b })); }); q.on('error', (e) => r({ error: e.code })); q.on('timeout', () => q.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' }))); q.end(body); });
(async () => {
  const out = {};
  const via = { socket: { socketPath: dir + '/sidecar.sock' } };
  for (const p of ports) via[p] = { host: '127.0.0.1', port: Number(p) };
  for (const [k, t] of Object.entries(via)) {
    out[k] = {
      userData: await ask({ ...t, path: '/openstack/latest/user_data' }),
      password: await ask({ ...t, path: '/openstack/latest/password', method: 'POST' }, 'hijack'),
      token: await ask({ ...t, path: '/latest/api/token', method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } }),
    };
  }
  for (const f of ['served.json', 'state.json', 'spec.yaml', 'secrets.json', 'cidata.iso']) { try { out[f] = fs.readFileSync(dir + '/' + f).subarray(0, 65536).toString('utf8'); } catch (e) { out[f] = e.code; } }
  try { out.listing = fs.readdirSync(dir); } catch (e) { out.listing = e.code; }
  process.stdout.write(JSON.stringify(out));
})();`;

type Attack = Record<
  string,
  {
    userData: { status?: number; body?: string; error?: string };
    password: { status?: number; error?: string };
    token: { status?: number; error?: string };
  }
> &
  Record<string, unknown>;

function attack(dir: string, ports: number[]): Attack {
  const r = asUser([process.execPath, '-e', ATTACK, dir, ...ports.map(String)]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Attack;
}

// TCP ports a process listens on, from /proc (what `ss -ltnp` would show for it).
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' }) as string);
    if (m) inodes.add(m[1]!);
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

function newRoot(label: string): string {
  const root = join(work, label);
  mkdirSync(root, { mode: 0o700 });
  roots.push(root);
  return root;
}

function secretSpec(name: string, listen?: string[]): string {
  const file = writeSpec(work, { name, ...(listen ? { listen } : {}) });
  const spec = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  spec.userData = `#cloud-config\n# ${SECRET}\n`;
  writeFileSync(file, stringify(spec));
  return file;
}

test(
  'default setup: another local user gets nothing, no TCP port, no socket, no file',
  { skip, timeout: 120_000 },
  async () => {
    const root = newRoot('default');
    chmodSync(root, 0o755); // even a root others may list: the VM folder and its socket stay private
    const r = await vmmeta(['create', secretSpec('t19-default'), '--json'], { root });
    assert.equal(r.code, 0, r.stderr);
    const pid = sidecarPid(root, 't19-default')!;
    assert.deepEqual(listeningPorts(pid), [], 'the default sidecar listens on no TCP port');
    const got = attack(join(root, 't19-default'), []);
    assert.deepEqual(got.socket!.userData, { error: 'EACCES' });
    assert.deepEqual(got.socket!.password, { error: 'EACCES' });
    assert.deepEqual(got.socket!.token, { error: 'EACCES' });
    // The VM folder is 0711 (QEMU as libvirt-qemu must reach cidata.iso by name): passable, not listable, and
    // every file holding a secret, the ISO (user-data) included, stays 0600.
    for (const f of ['served.json', 'state.json', 'spec.yaml', 'secrets.json', 'cidata.iso'])
      assert.equal(got[f], 'EACCES', f);
    assert.equal(got.listing, 'EACCES', 'the VM folder cannot be listed');
    assert.doesNotMatch(JSON.stringify(got), new RegExp(SECRET));
    // The guest's path still works: root (QEMU's user) reaches the socket.
    const ok = spawnSync(process.execPath, ['-e', ATTACK, join(root, 't19-default')], { encoding: 'utf8' });
    assert.match(JSON.parse(ok.stdout).socket.userData.body, new RegExp(SECRET));
  },
);

test(
  'explicit loopback listener: the user can read (documented) but cannot set the password or get a token',
  { skip, timeout: 120_000 },
  async () => {
    const root = newRoot('loopback');
    const r = await vmmeta(['create', secretSpec('t19-lo'), '--listen', 'unix', '--listen', '127.0.0.1:0', '--json'], {
      root,
    });
    assert.equal(r.code, 0, r.stderr);
    const ports = listeningPorts(sidecarPid(root, 't19-lo')!);
    assert.equal(ports.length, 1);
    const got = attack(join(root, 't19-lo'), ports);
    const tcp = got[String(ports[0])]!;
    assert.equal(tcp.userData.status, 200, 'a loopback listener is readable by every local user, as documented');
    assert.equal(tcp.password.status, 403);
    assert.equal(tcp.token.status, 403);
    assert.ok(!existsSync(join(root, 't19-lo', 'password')), 'no password stored');
    // The guest, through its socket, sets the password; inspect shows the guest's, not "hijack".
    const guest = spawnSync(
      process.execPath,
      [
        '-e',
        `require('node:http').request({ socketPath: process.argv[1], path: '/openstack/latest/password', method: 'POST' }, (s) => process.stdout.write(String(s.statusCode))).end('guest-pw')`,
        join(root, 't19-lo', 'sidecar.sock'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(guest.stdout, '200');
    const shown = JSON.parse(
      (await vmmeta(['inspect', 't19-lo', '--json', '--show-secrets'], { root })).stdout,
    ) as Record<string, unknown>;
    assert.match(JSON.stringify(shown), /"guest-pw"/);
    assert.doesNotMatch(JSON.stringify(shown), /hijack/);
    // logs names the listener and the peer of each request.
    const logs = await vmmeta(['logs', 't19-lo', '-n', '50'], { root });
    assert.match(
      logs.stdout,
      new RegExp(`POST 403 .* 127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${ports[0]} +/openstack/latest/password`),
    );
    assert.match(logs.stdout, /POST 200 .* socket +\/openstack\/latest\/password/);
  },
);

test(
  'links the user plants in a VM folder are refused, and nothing outside it is written',
  { skip, timeout: 120_000 },
  async () => {
    const root = newRoot('planted');
    const target = join(work, 'root-only.txt');
    writeFileSync(target, 'untouched\n', { mode: 0o600 });
    const created = await vmmeta(['create', secretSpec('sv')], { root });
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await vmmeta(['stop', 'sv'], { root })).code, 0);
    const dir = join(root, 'sv');
    // A careless chmod lets the user in; they swap the logs for links to a root-only file.
    chmodSync(root, 0o711);
    chmodSync(dir, 0o777);
    for (const f of ['sidecar.log', 'access.ndjson']) {
      const r = asUser(['sh', '-c', `rm -f ${dir}/${f} && ln -s ${target} ${dir}/${f}`]);
      assert.equal(r.status, 0, r.stderr);
    }
    const refused = await vmmeta(['start', 'sv'], { root });
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(`unsafe VM folder ${dir} is writable by its group and others \\(mode 0777\\)`),
    );
    assert.match(refused.stderr, /chmod go-w/);
    const served = spawnSync(process.execPath, [BIN, 'serve', 'sv', '--state-dir', root], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(served.status, 1);
    assert.match(served.stderr, /unsafe VM folder/);
    // The mode is fixed but the links stay: each is an error that names itself.
    chmodSync(dir, 0o700);
    const linked = await vmmeta(['start', 'sv'], { root });
    assert.equal(linked.code, 1);
    assert.match(linked.stderr, new RegExp(`${dir}/sidecar.log: a symbolic link, which vmmeta does not follow`));
    assert.equal(stackTrace(linked.stderr), undefined);
    rmSync(join(dir, 'sidecar.log'));
    const started = await vmmeta(['start', 'sv'], { root });
    assert.equal(started.code, 0, started.stderr);
    const get = spawnSync(process.execPath, ['-e', ATTACK, dir], { encoding: 'utf8' });
    assert.equal(JSON.parse(get.stdout).socket.userData.status, 200);
    await new Promise((r) => setTimeout(r, 300)); // the access log writes off the request path
    assert.match(
      readFileSync(join(dir, 'sidecar.log'), 'utf8'),
      new RegExp(
        `access log ${dir}/access.ndjson: ${dir}/access.ndjson is a symbolic link; vmmeta does not follow links`,
      ),
    );
    assert.equal(readFileSync(target, 'utf8'), 'untouched\n', 'the link target was never written');
  },
);

test(
  'a state root the user owns, or can write, is refused with a clear error; doctor says so',
  { skip, timeout: 120_000 },
  async () => {
    const cases: Array<[string, (d: string) => void, RegExp]> = [
      ['owned', (d) => chownSync(d, uid, gid), new RegExp(`is owned by uid ${uid}, not by you \\(uid 0\\)`)],
      ['world', (d) => chmodSync(d, 0o777), /is writable by its group and others \(mode 0777\)/],
      ['group', (d) => (chownSync(d, 0, gid), chmodSync(d, 0o770)), /is writable by its group \(mode 0770\)/],
    ];
    for (const [label, spoil, reason] of cases) {
      const shared = join(work, `shared-${label}`);
      mkdirSync(shared, { mode: 0o700 });
      spoil(shared);
      roots.push(shared);
      const spec = secretSpec(`t19-${label}`);
      const r = await vmmeta(['create', spec], { root: shared });
      assert.equal(r.code, 1, `${label}: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`unsafe state root ${shared} `));
      assert.match(r.stderr, reason);
      assert.match(r.stderr, /another user could plant files or links in it/);
      assert.match(r.stderr, /hint: .*--state-dir/);
      assert.deepEqual(readdirSync(shared), [], `${label}: nothing written`);
      const d = JSON.parse((await vmmeta(['doctor', '--json'], { root: shared })).stdout) as {
        checks: Array<{ name: string; status: string; detail: string }>;
      };
      const check = d.checks.find((c) => c.name === 'state root safety')!;
      assert.equal(check.status, 'fail', label);
      assert.match(check.detail, reason);
      assert.equal((await vmmeta(['list'], { root: shared })).code, 1);
    }
    // A state root below a folder the user can write (not sticky) is refused too; below /tmp (sticky) it is fine.
    const open = join(work, 'open');
    mkdirSync(open, { mode: 0o700 });
    chownSync(open, uid, gid);
    const below = join(open, 'state');
    const r = await vmmeta(['create', secretSpec('t19-below')], { root: below });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`unsafe ${open}, above the state root ${below}, is owned by uid ${uid}`));
    assert.ok(!existsSync(below), 'the state root was not created');
  },
);
