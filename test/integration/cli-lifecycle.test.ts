// create → inspect → update → logs → stop/start → delete through the built CLI, checking outputs, files on disk
// and their modes, and what the live sidecar serves.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, vmmeta, json, tempRoot, cleanupRoot, httpGet, isAlive, modeOf } from '../helpers/cli.js';

const root = tempRoot();
const specDir = tempRoot('vmspec-');
after(async () => {
  await cleanupRoot(root);
  await cleanupRoot(specDir);
});

const UUID = '5b0c3a8e-9d1f-4c2a-8e7b-1f2e3d4c5b6a';
const spec = join(specDir, 'life.yaml');
function writeLife(hostname: string, extra = ''): void {
  writeFileSync(
    spec,
    `name: life\nuuid: ${UUID}\nhostname: ${hostname}\nadminPassword: s3cret-pw\nuserData: |\n  #cloud-config\n  runcmd: [echo hi]\n${extra}`,
  );
}

type Created = {
  action: string;
  sidecarAction: string;
  dir: string;
  uuid: string;
  sidecar: { pid: number; listen: Array<{ address: string; url?: string }> };
  cdrom: unknown;
  qemu: { argv: string[]; guestfwd: string };
};
type Inspected = {
  sidecar: { state: string; answering: boolean; pid: number | null };
  requests: { total: number; last: Array<{ path: string }> };
  warnings: Array<{ code: string }>;
  spec: { adminPassword: string; userData: { content: string } };
  cdrom: { attached: boolean };
};

// The default sidecar listens only on its 0600 socket: the test talks to it the way QEMU's guestfwd does.
const get = (path: string) => httpGet({ socketPath: join(root, 'life', 'sidecar.sock'), path: `/${path}` });
let pid = 0;

test('create writes the VM folder with private modes and starts an answering sidecar', async () => {
  writeLife('life-one');
  const r = await vmmeta(['create', spec, '--json'], { root });
  assert.equal(r.code, 0, r.stderr);
  const c = json<Created & { ok: boolean }>(r);
  assert.equal(c.ok, true);
  assert.equal(c.action, 'created');
  assert.equal(c.uuid, UUID);
  pid = c.sidecar.pid;
  assert.ok(isAlive(pid));
  assert.deepEqual(
    c.sidecar.listen,
    [{ address: `unix:${join(root, 'life', 'sidecar.sock')}` }],
    'no TCP listener by default',
  );
  assert.match(c.qemu.guestfwd, /guestfwd=tcp:169\.254\.169\.254:80-cmd:socat .*sidecar\.sock/);
  assert.ok(c.qemu.argv.includes('-smbios'));
  const dir = join(root, 'life');
  assert.equal(modeOf(dir), '0711', 'traversable (QEMU as libvirt-qemu opens the ISO by name), not listable');
  assert.equal(modeOf(join(dir, 'meta')), '0700');
  for (const f of [
    'served.json',
    'secrets.json',
    'state.json',
    'spec.yaml',
    'meta/openstack/openstack/latest/user_data',
    'meta/nocloud/user-data',
    'meta/openstack/openstack/latest/meta_data.json',
    'meta/ec2/latest/user-data',
    'cidata.iso',
  ]) {
    assert.equal(modeOf(join(dir, f)), '0600', f);
  }
  for (const f of [
    'qemu-args.txt',
    'qemu-args.sh',
    'qemu-args.json',
    'domain.xml',
    'sysinfo.xml',
    'smbios.txt',
    'sidecar.json',
  ])
    assert.ok(existsSync(join(dir, f)), f);
  assert.equal(readFileSync(join(dir, 'spec.yaml'), 'utf8'), readFileSync(spec, 'utf8'));
  // ?vmmeta=probe marks a health check: the next test expects the guest to have made no request yet.
  const md = await get(`openstack/latest/meta_data.json?vmmeta=probe`);
  assert.equal(md.status, 200);
  assert.equal(JSON.parse(md.body).uuid, UUID);
  assert.equal(JSON.parse(md.body).hostname, 'life-one');
});

test('inspect (human and JSON) reports a live sidecar, no guest calls yet, and redacts secrets', async () => {
  const h = await vmmeta(['inspect', 'life'], { root });
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /running, answering \(pid \d+\)/);
  assert.match(h.stdout, /Requests from the guest \(0\)/);
  assert.match(
    h.stdout,
    /no problems found/,
    'the documented default (CD attached, OpenStack SMBIOS) raises no warning',
  );
  assert.doesNotMatch(h.stdout, /s3cret-pw/);
  const j = json<Inspected>(await vmmeta(['inspect', 'life', '--json'], { root }));
  assert.equal(j.sidecar.state, 'running');
  assert.equal(j.sidecar.answering, true);
  assert.equal(j.requests.total, 0, "vmmeta's own probes are not guest requests");
  assert.deepEqual(j.warnings, [], 'NoCloud wins from its CD: the guest is not expected to call the sidecar');
  assert.equal(j.spec.adminPassword, '<redacted: --show-secrets>');
  assert.doesNotMatch(JSON.stringify(j), /s3cret-pw|runcmd/);
  const shown = json<Inspected>(await vmmeta(['inspect', 'life', '--json', '--show-secrets'], { root }));
  assert.equal(shown.spec.adminPassword, 's3cret-pw');
  assert.match(shown.spec.userData.content, /runcmd/);
});

test('guest requests show up in inspect and logs', async () => {
  await get(`openstack`);
  await get(`latest/meta-data/instance-id`);
  await new Promise((r) => setTimeout(r, 300)); // the access log is written off the request path
  const j = json<Inspected>(await vmmeta(['inspect', 'life', '--json'], { root }));
  assert.equal(j.requests.total, 2);
  assert.deepEqual(
    j.requests.last.map((e) => e.path),
    ['/openstack', '/latest/meta-data/instance-id'],
  );
  assert.ok(!j.warnings.some((w) => w.code === 'guest-never-called'));
  const logs = await vmmeta(['logs', 'life'], { root });
  assert.equal(logs.code, 0);
  assert.equal(logs.stdout.trim().split('\n').length, 2);
  assert.match(logs.stdout, /GET +200 .* socket +\/latest\/meta-data\/instance-id/);
  const raw = await vmmeta(['logs', 'life', '--json', '-n', '1'], { root });
  const line = JSON.parse(raw.stdout.trim()) as { path: string; status: number };
  assert.equal(line.path, '/latest/meta-data/instance-id');
  assert.equal(line.status, 200);
});

test('logs --follow prints new guest requests as they come and ends on SIGINT', async () => {
  const child = spawn(process.execPath, [BIN, 'logs', '-f', '-n', '0', 'life'], {
    env: { ...process.env, VMMETA_STATE_DIR: root, NO_COLOR: '1' },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  // logs -f only prints what arrives after it started, and on a loaded host it may take over a second to start:
  // ask again (with a probe each time, which must never show) until the guest request shows up.
  for (let i = 0; i < 40 && !out.includes('network_data.json'); i++) {
    await get(`openstack/latest/network_data.json`);
    await get(`openstack?vmmeta=probe`);
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGINT');
  assert.equal(await exited, 0);
  const lines = out.trim().split('\n');
  assert.ok(lines.length >= 1 && out.endsWith('\n'));
  for (const line of lines)
    assert.match(
      line,
      /GET +404 .* \/openstack\/latest\/network_data\.json$/,
      'the guest requests only, never the probes (this VM has no network_data.json)',
    );
});

test('same spec again is a no-op; a changed spec updates in place and the same sidecar serves it', async () => {
  const same = json<Created>(await vmmeta(['create', spec, '--json'], { root }));
  assert.equal(same.action, 'unchanged');
  assert.equal(same.sidecar.pid, pid);
  writeLife('life-two');
  const u = await vmmeta(['update', 'life', spec, '--json'], { root });
  assert.equal(u.code, 0, u.stderr);
  const up = json<Created>(u);
  assert.equal(up.action, 'updated');
  assert.equal(up.sidecarAction, 'reloaded');
  assert.equal(up.sidecar.pid, pid, 'no restart');
  const md = await get(`openstack/latest/meta_data.json`);
  assert.equal(JSON.parse(md.body).hostname, 'life-two');
  assert.equal(readFileSync(join(root, 'life', 'spec.yaml'), 'utf8'), readFileSync(spec, 'utf8'));
});

test('--suppress-nocloud removes the ISO and its arguments; --nocloud cd brings them back', async () => {
  const s = json<Created>(await vmmeta(['update', 'life', spec, '--suppress-nocloud', '--json'], { root }));
  assert.equal(s.cdrom, null);
  assert.ok(!existsSync(join(root, 'life', 'cidata.iso')));
  assert.doesNotMatch(readFileSync(join(root, 'life', 'qemu-args.txt'), 'utf8'), /cidata/);
  const j = json<Inspected>(await vmmeta(['inspect', 'life', '--json'], { root }));
  assert.equal(j.cdrom.attached, false);
  assert.ok(!j.warnings.some((w) => w.code === 'nocloud-cd-with-openstack'));
  const kept = json<Created>(await vmmeta(['update', 'life', spec, '--json'], { root }));
  assert.equal(kept.cdrom, null, 'an update without the flag keeps the CD out');
  const back = json<Created>(await vmmeta(['update', 'life', spec, '--nocloud', 'cd', '--json'], { root }));
  assert.notEqual(back.cdrom, null);
  assert.ok(existsSync(join(root, 'life', 'cidata.iso')));
  assert.match(readFileSync(join(root, 'life', 'qemu-args.txt'), 'utf8'), /cidata\.iso/);
});

test('a uuid change needs --force (exit 4 without it)', async () => {
  const other = spec.replace('.yaml', '-uuid.yaml');
  writeFileSync(other, readFileSync(spec, 'utf8').replace(UUID, '0d6f4a2b-1c3e-4f5a-9b8c-7d6e5f4a3b2c'));
  const r = await vmmeta(['create', other], { root });
  assert.equal(r.code, 4);
  assert.match(r.stderr, /changes the uuid of life/);
  assert.match(r.stderr, /hint: .*--force/);
  assert.equal(JSON.parse(readFileSync(join(root, 'life', 'state.json'), 'utf8')).uuid, UUID);
  const forced = await vmmeta(['create', other, '--force', '--json'], { root });
  assert.equal(forced.code, 0, forced.stderr);
  await vmmeta(['create', spec, '--force'], { root });
});

test('list shows the VM; stop ends the sidecar; start brings it back', async () => {
  const l = json<{ vms: Array<{ name: string; sidecar: { state: string; answering: boolean } }> }>(
    await vmmeta(['list', '--json'], { root }),
  );
  assert.deepEqual(
    l.vms.map((v) => [v.name, v.sidecar.state, v.sidecar.answering]),
    [['life', 'running', true]],
  );
  const current = json<Inspected>(await vmmeta(['inspect', 'life', '--json'], { root })).sidecar.pid!;
  const s = await vmmeta(['stop', 'life'], { root });
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /sidecar stopped/);
  assert.ok(!isAlive(current));
  assert.ok(!existsSync(join(root, 'life', 'sidecar.json')));
  const j = json<Inspected>(await vmmeta(['inspect', 'life', '--json'], { root }));
  assert.equal(j.sidecar.state, 'stopped');
  assert.ok(j.warnings.some((w) => w.code === 'sidecar-stopped'));
  assert.match((await vmmeta(['stop', 'life'], { root })).stdout, /not running/);
  writeLife('life-three');
  const upd = json<Created>(await vmmeta(['update', 'life', spec, '--json'], { root }));
  assert.deepEqual(
    [upd.action, upd.sidecarAction, upd.sidecar],
    ['updated', 'not started', null],
    'update leaves a stopped sidecar stopped',
  );
  const st = await vmmeta(['start', 'life', '--json'], { root });
  assert.equal(st.code, 0, st.stderr);
  const started = json<{ action: string; sidecar: { pid: number } }>(st);
  assert.equal(started.action, 'started');
  assert.ok(isAlive(started.sidecar.pid));
  assert.equal(json<{ action: string }>(await vmmeta(['start', 'life', '--json'], { root })).action, 'already running');
});

test('delete stops the sidecar and removes the folder; a second delete exits 3', async () => {
  const running = json<Inspected>(await vmmeta(['inspect', 'life', '--json'], { root })).sidecar.pid!;
  const d = await vmmeta(['delete', 'life'], { root });
  assert.equal(d.code, 0, d.stderr);
  assert.ok(!isAlive(running));
  assert.ok(!existsSync(join(root, 'life')));
  const again = await vmmeta(['delete', 'life'], { root });
  assert.equal(again.code, 3);
  assert.match(again.stderr, /^vmmeta: no VM named life/);
  const l = await vmmeta(['list'], { root });
  assert.match(l.stdout, /no VMs/);
});
