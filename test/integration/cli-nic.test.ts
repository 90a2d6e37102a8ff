// vmmeta nic add/remove against a real QEMU (no guest OS: firmware only, so the hypervisor answers QMP but no
// guest ever releases a device). Every failure must leave the served documents exactly as they were: the test
// reads them through the sidecar's socket, as the guest's guestfwd path does, before and after.
import { test, after, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { vmmeta, json, tempRoot, cleanupRoot, httpGet, writeSpec } from '../helpers/cli.js';
import { qmpConnect } from '../../src/hypervisor/qmp.js';

const root = tempRoot('vmm16-');
const specDir = tempRoot('vmm16s-');
const qemus: ChildProcess[] = [];
after(async () => {
  for (const q of qemus) q.kill('SIGKILL');
  await cleanupRoot(root);
  await cleanupRoot(specDir);
});

const FIRST = '52:54:00:16:01:01';
const HOT = '52:54:00:16:01:10';
const DOCS = [
  '/openstack/latest/network_data.json',
  '/openstack/latest/meta_data.json',
  '/latest/meta-data/network/interfaces/macs/',
  `/latest/meta-data/network/interfaces/macs/${HOT}/`,
  '/latest/meta-data/instance-id',
];

function spec(name: string, extra = ''): string {
  return writeSpec(
    specDir,
    name,
    `datasource: { nocloud: none }\nhotplug: { network: true }\nnetwork:\n  links: [{ id: eth0, type: physical, mac: "${FIRST}" }]\n${extra}`,
  );
}

// What a guest can read, plus the files that say it (served.json is what the sidecar loads).
async function served(vm: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const path of DOCS) {
    const r = await httpGet({ socketPath: join(root, vm, 'sidecar.sock'), path });
    out[path] = `${r.status} ${r.body}`;
  }
  out['served.json'] = readFileSync(join(root, vm, 'served.json'), 'utf8');
  return out;
}

async function startQemu(vm: string, machine: string[] = []): Promise<ChildProcess> {
  const args = readFileSync(join(root, vm, 'qemu-args.txt'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const q = spawn(
    'qemu-system-x86_64',
    [...machine, '-accel', 'tcg', '-m', '64', '-display', 'none', '-serial', 'none', '-monitor', 'none', ...args],
    { stdio: 'ignore' },
  );
  qemus.push(q);
  const sock = join(root, vm, 'qmp.sock');
  for (const end = Date.now() + 10_000; !existsSync(sock);) {
    if (Date.now() > end) throw new Error(`QEMU made no ${sock}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return q;
}

async function netdevs(vm: string): Promise<string> {
  const qmp = await qmpConnect(join(root, vm, 'qmp.sock'));
  try {
    return String(await qmp.execute('human-monitor-command', { 'command-line': 'info network' }));
  } finally {
    qmp.close();
  }
}

const add = (vm: string, ...extra: string[]) =>
  vmmeta(['nic', 'add', '--json', vm, '--id', 'data0', '--mac', HOT, '--address', '10.20.0.5/24', ...extra], { root });

before(async () => {
  for (const name of ['nicup', 'nicdown', 'nicpc']) {
    const r = await vmmeta(['create', spec(name), '--json'], { root });
    assert.equal(r.code, 0, r.stderr);
  }
});

test('create puts a QMP socket in the VM folder into the QEMU args', () => {
  const args = readFileSync(join(root, 'nicup', 'qemu-args.txt'), 'utf8').split('\n');
  assert.equal(args[args.indexOf('-qmp') + 1], `unix:${join(root, 'nicup', 'qmp.sock')},server=on,wait=off`);
});

test('VM not running (no QMP socket): exit 1, a clear error, the documents as they were', async () => {
  const before = await served('nicdown');
  const r = await add('nicdown');
  assert.equal(r.code, 1, r.stderr);
  assert.match(json<{ error: { message: string } }>(r).error.message, /nicdown is not running: it has no QMP socket/);
  assert.deepEqual(await served('nicdown'), before);
});

test('a stale QMP socket (QEMU killed): exit 1, nothing changed', async () => {
  const q = await startQemu('nicdown');
  q.kill('SIGKILL');
  await new Promise((r) => q.once('exit', r));
  const before = await served('nicdown');
  const r = await add('nicdown');
  assert.equal(r.code, 1, r.stderr);
  assert.match(json<{ error: { message: string } }>(r).error.message, /not running: nobody answers/);
  assert.deepEqual(await served('nicdown'), before);
});

test('device_add refused (a pc spec booted as q35: pcie.0 does not hot-plug): exit 1, netdev taken back, documents as they were', async () => {
  await startQemu('nicpc', ['-machine', 'q35']);
  const before = await served('nicpc');
  const r = await add('nicpc');
  assert.equal(r.code, 1, r.stderr);
  assert.match(json<{ error: { message: string } }>(r).error.message, /QEMU refused device_add for data0/);
  assert.deepEqual(await served('nicpc'), before);
  assert.doesNotMatch(await netdevs('nicpc'), /vmmeta-hpn-data0/, 'the netdev of the failed NIC is still there');
});

test('add: network_data.json and the EC2 macs/ tree gain the link, the instance-id stays, state records it', async () => {
  await startQemu('nicup');
  const before = await served('nicup');
  const r = await add('nicup');
  assert.equal(r.code, 0, r.stderr);
  const out = json<{ action: string; sidecar: string; nic: { device: string; bus: string | null } }>(r);
  assert.equal(out.action, 'added');
  assert.equal(out.sidecar, 'reloaded');
  // inspect reads the access log: no guest request for network_data.json since the event (vmmeta's own probes
  // do not count) until something fetches it the way a guest does.
  type Inspected = {
    hotplug: { acts: boolean; nics: Array<{ id: string; mac: string; fetchedAfter: string | null }> };
    damaged: unknown[];
    warnings: Array<{ code: string }>;
  };
  const fetched = async () =>
    json<Inspected>(await vmmeta(['inspect', '--json', 'nicup'], { root })).hotplug.nics.map((n) => [
      n.id,
      n.mac,
      n.fetchedAfter !== null,
    ]);
  assert.deepEqual(await fetched(), [['data0', HOT, false]]);
  const now = await served('nicup');
  assert.deepEqual(await fetched(), [['data0', HOT, true]]);
  const nd = JSON.parse(now['/openstack/latest/network_data.json']!.slice(4)) as {
    links: Array<{ ethernet_mac_address: string }>;
    networks: Array<{ ip_address?: string }>;
  };
  assert.deepEqual(
    nd.links.map((l) => l.ethernet_mac_address),
    [FIRST, HOT],
  );
  assert.ok(nd.networks.some((n) => n.ip_address === '10.20.0.5'));
  assert.match(now['/latest/meta-data/network/interfaces/macs/']!, new RegExp(`^200 .*${HOT}/`, 's'));
  assert.match(now[`/latest/meta-data/network/interfaces/macs/${HOT}/`]!, /^200 /);
  assert.equal(now['/latest/meta-data/instance-id'], before['/latest/meta-data/instance-id']);
  assert.equal(now['/openstack/latest/meta_data.json'], before['/openstack/latest/meta_data.json']);
  assert.match(await netdevs('nicup'), /vmmeta-hpd-data0.*macaddr=52:54:00:16:01:10/s);
  assert.equal((statSync(join(root, 'nicup', 'qmp.sock')).mode & 0o777).toString(8), '600');
  // update with the same spec keeps the NIC (it is recorded with the VM, like a flag)
  const u = await vmmeta(['update', '--json', 'nicup', join(specDir, 'nicup.yaml')], { root });
  assert.equal(u.code, 0, u.stderr);
  assert.equal(json<{ action: string }>(u).action, 'unchanged');
  const i = json<Inspected>(await vmmeta(['inspect', '--json', 'nicup'], { root }));
  assert.equal(i.hotplug.acts, true);
  assert.deepEqual(i.damaged, []);
});

test('the MAC or the id already taken: exit 4, documents as they were', async () => {
  const before = await served('nicup');
  const sameId = await vmmeta(
    ['nic', 'add', '--json', 'nicup', '--id', 'data0', '--mac', '52:54:00:16:01:11', '--dhcp'],
    { root },
  );
  assert.equal(sameId.code, 4, sameId.stderr);
  assert.match(json<{ error: { message: string } }>(sameId).error.message, /link id data0 is already taken/);
  const specMac = await vmmeta(['nic', 'add', '--json', 'nicup', '--id', 'data1', '--mac', FIRST, '--dhcp'], { root });
  assert.equal(specMac.code, 4, specMac.stderr);
  assert.match(
    json<{ error: { message: string } }>(specMac).error.message,
    new RegExp(`MAC ${FIRST} is already taken on nicup \\(link eth0\\)`),
  );
  const bad = await vmmeta(
    ['nic', 'add', '--json', 'nicup', '--id', 'data1', '--mac', '52:54:00:16:01:12', '--address', '10.20.0.300/24'],
    { root },
  );
  assert.equal(bad.code, 2, bad.stderr);
  assert.deepEqual(await served('nicup'), before);
});

test('remove: a guest that never releases the device keeps the link (exit 1); a spec link is not removable (exit 2)', async () => {
  const before = await served('nicup');
  const r = await vmmeta(['nic', 'remove', '--json', 'nicup', 'data0', '--timeout', '1'], { root });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    json<{ error: { message: string } }>(r).error.message,
    /data0 was not unplugged: no DEVICE_DELETED event/,
  );
  assert.deepEqual(await served('nicup'), before);
  const s = await vmmeta(['nic', 'remove', '--json', 'nicup', 'eth0'], { root });
  assert.equal(s.code, 2, s.stderr);
  const n = await vmmeta(['nic', 'remove', '--json', 'nicup', 'nope'], { root });
  assert.equal(n.code, 3, n.stderr);
  // --timeout is seconds: a value that is not a positive number is refused before anything runs.
  for (const bad of ['abc', '0', '-5', '30s']) {
    const t = await vmmeta(['nic', 'remove', '--json', 'nicup', 'data0', '--timeout', bad], { root });
    assert.equal(t.code, 2, `--timeout ${bad}: ${t.stderr}`);
    assert.match(json<{ error: { message: string } }>(t).error.message, /--timeout expects seconds/);
  }
  assert.deepEqual(await served('nicup'), before);
});

// libvirt's in-process test driver (test:///default, no daemon) has a running domain "test" but no live attach:
// the two refusals a libvirt VM can meet, through the real virsh, each leaving the documents as they were.
test('--libvirt: a domain that does not exist, and a driver refusing attach-device --live: exit 1, nothing changed', async () => {
  const before = await served('nicdown');
  const missing = await vmmeta(
    [
      'nic',
      'add',
      '--json',
      'nicdown',
      '--id',
      'lv0',
      '--mac',
      '52:54:00:16:01:20',
      '--dhcp',
      '--libvirt',
      'nosuch',
      '--connect',
      'test:///default',
    ],
    { root },
  );
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(
    json<{ error: { message: string } }>(missing).error.message,
    /virsh -c test:\/\/\/default domstate nosuch failed/,
  );
  const refused = await vmmeta(
    [
      'nic',
      'add',
      '--json',
      'nicdown',
      '--id',
      'lv0',
      '--mac',
      '52:54:00:16:01:20',
      '--dhcp',
      '--libvirt',
      'test',
      '--connect',
      'test:///default',
    ],
    { root },
  );
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(
    json<{ error: { message: string } }>(refused).error.message,
    /attach-device test .*\.nic-lv0\.xml --live failed: [\s\S]*not supported/,
  );
  assert.deepEqual(await served('nicdown'), before);
  assert.equal(existsSync(join(root, 'nicdown', '.nic-lv0.xml')), false, 'the interface file was left behind');
});
