// Host mode through the built CLI and a real `vmmeta host`: create, update, stop, start, delete and a change of
// sidecar.mode talk to the one host process (no `vmmeta serve` is started for a host-mode VM), a restarted host
// serves every opted-in VM again except one `vmmeta stop` left stopped, and create without a host fails cleanly.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { vmmeta, json, tempRoot, cleanupRoot, httpGet, isAlive, sidecarPids } from '../helpers/cli.js';
import { spawnHost, type ServeProcess } from '../helpers/sidecar.js';

const root = tempRoot();
const specDir = tempRoot('vmspec-');
let host: ServeProcess | undefined;
after(async () => {
  host?.child.kill('SIGKILL');
  await cleanupRoot(root);
  await cleanupRoot(specDir);
});

const UUIDS = {
  ha: '6a0c3a8e-9d1f-4c2a-8e7b-1f2e3d4c5b01',
  hb: '6a0c3a8e-9d1f-4c2a-8e7b-1f2e3d4c5b02',
  pc: '6a0c3a8e-9d1f-4c2a-8e7b-1f2e3d4c5b03',
} as const;
type Vm = keyof typeof UUIDS;
const spec = (vm: Vm, o: { hostname?: string; mode?: 'host' | 'process' } = {}): string => {
  const file = join(specDir, `${vm}.yaml`);
  const mode = o.mode ?? (vm === 'pc' ? 'process' : 'host');
  writeFileSync(file, `name: ${vm}\nuuid: ${UUIDS[vm]}\nhostname: ${o.hostname ?? vm}\nsidecar:\n  mode: ${mode}\n`);
  return file;
};
type Created = { action: string; sidecarAction: string; sidecar: { pid: number; host?: true } | null };

const metaOf = async (vm: Vm) => {
  const r = await httpGet({ socketPath: join(root, vm, 'sidecar.sock'), path: '/openstack/latest/meta_data.json' });
  assert.equal(r.status, 200, `${vm}: ${r.body}`);
  return JSON.parse(r.body) as { uuid: string; hostname: string };
};
const answers = (vm: Vm) =>
  metaOf(vm).then(
    () => true,
    () => false,
  );
const startHost = async () => {
  host = await spawnHost(root);
  return host;
};
const stopHost = async () => {
  host!.child.kill('SIGTERM');
  assert.equal(await host!.exit, 0, host!.stderr());
  host = undefined;
};

test('create of a host-mode VM without a running host fails, names the command, and writes nothing', async () => {
  const r = await vmmeta(['create', spec('ha')], { root });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /no vmmeta host is running for .*host\.sock: no such socket/);
  assert.match(r.stderr, /hint: start it: vmmeta host --state-dir /);
  assert.equal(existsSync(join(root, 'ha')), false, 'a folder was left behind');
});

test('one host serves every host-mode VM on its own socket; a process-mode VM keeps its own sidecar', async () => {
  const h = await startHost();
  assert.equal(h.ready.pid, h.child.pid);
  const created: Record<string, Created> = {};
  for (const vm of ['ha', 'hb', 'pc'] as const)
    created[vm] = json<Created>(await vmmeta(['create', '--json', spec(vm)], { root }));
  assert.deepEqual(
    [created.ha!.sidecar, created.hb!.sidecar].map((s) => [s?.pid, s?.host]),
    [
      [h.child.pid, true],
      [h.child.pid, true],
    ],
  );
  assert.notEqual(created.pc!.sidecar?.pid, h.child.pid);
  assert.equal(created.pc!.sidecar?.host, undefined);
  assert.deepEqual(sidecarPids(root), [created.pc!.sidecar!.pid], 'only the process-mode VM has a serve process');
  for (const vm of ['ha', 'hb', 'pc'] as const) assert.equal((await metaOf(vm)).uuid, UUIDS[vm]);
  // a second server for a host-mode VM would fight the host for its socket
  const serve = await vmmeta(['serve', 'ha'], { root });
  assert.equal(serve.code, 1);
  assert.match(serve.stderr, /ha is in host mode \(sidecar\.mode: host\): the state root's `vmmeta host` serves it/);

  // update swaps one VM's tree; the other's listener is not touched (same start time in its sidecar.json)
  const hbSince = readFileSync(join(root, 'hb', 'sidecar.json'), 'utf8');
  const up = json<Created>(await vmmeta(['update', '--json', 'ha', spec('ha', { hostname: 'ha-two' })], { root }));
  assert.equal(up.sidecarAction, 'reloaded');
  assert.equal((await metaOf('ha')).hostname, 'ha-two');
  assert.equal(readFileSync(join(root, 'hb', 'sidecar.json'), 'utf8'), hbSince);

  const inspect = json<{ sidecar: { host?: true; hostProcess?: { running: boolean; vm?: { state: string } } } }>(
    await vmmeta(['inspect', '--json', 'ha'], { root }),
  );
  assert.equal(inspect.sidecar.host, true);
  assert.deepEqual([inspect.sidecar.hostProcess?.running, inspect.sidecar.hostProcess?.vm?.state], [true, 'serving']);
});

test('stop leaves the host running and the VM stopped, also across a host restart; start brings it back', async () => {
  const pid = host!.child.pid!;
  const stop = json<{ action: string; pids: number[]; host?: number }>(
    await vmmeta(['stop', '--json', 'ha'], { root }),
  );
  assert.deepEqual([stop.action, stop.pids, stop.host], ['stopped', [], pid]);
  assert.equal(await answers('ha'), false, 'ha still answers after stop');
  assert.equal(await answers('hb'), true);
  assert.ok(isAlive(pid));

  await stopHost();
  assert.equal(existsSync(join(root, 'hb', 'sidecar.json')), false, 'a clean host stop leaves no sidecar.json');
  const h = await startHost();
  assert.equal(h.ready.serving, 1, JSON.stringify(h.ready)); // hb; ha was stopped, pc is not host mode
  assert.equal(await answers('hb'), true);
  assert.equal(await answers('ha'), false);
  const start = json<{ action: string; sidecar: { pid: number } }>(await vmmeta(['start', '--json', 'ha'], { root }));
  assert.deepEqual([start.action, start.sidecar.pid], ['started', h.child.pid]);
  assert.equal((await metaOf('ha')).hostname, 'ha-two');
});

test('sidecar.mode moves a VM between its own process and the host, in both directions', async () => {
  const before = sidecarPids(root);
  assert.equal(before.length, 1);
  const toHost = json<Created>(await vmmeta(['update', '--json', 'pc', spec('pc', { mode: 'host' })], { root }));
  assert.deepEqual([toHost.sidecarAction, toHost.sidecar?.pid], ['restarted', host!.child.pid]);
  assert.deepEqual(sidecarPids(root), [], 'the old serve process is gone');
  assert.equal((await metaOf('pc')).uuid, UUIDS.pc);
  const back = json<Created>(await vmmeta(['update', '--json', 'pc', spec('pc', { mode: 'process' })], { root }));
  assert.equal(back.sidecarAction, 'restarted');
  assert.deepEqual(sidecarPids(root), [back.sidecar!.pid]);
  const status = (await vmmeta(['inspect', '--json', 'pc'], { root })).stdout;
  assert.doesNotMatch(status, /"hostProcess"/, 'a process-mode VM has no host view');
  assert.equal((await metaOf('pc')).uuid, UUIDS.pc);
});

test('nic add on a host-mode VM: QMP first, then the host serves the new network_data.json', async () => {
  const hot = '52:54:00:17:01:10';
  const file = join(specDir, 'hn.yaml');
  writeFileSync(
    file,
    `name: hn\nsidecar: { mode: host }\ndatasource: { nocloud: none }\nhotplug: { network: true }\nnetwork:\n  links: [{ id: eth0, type: physical, mac: "52:54:00:17:01:01" }]\n`,
  );
  assert.equal((await vmmeta(['create', file], { root })).code, 0);
  // Firmware only: the hypervisor answers QMP, no guest is needed to plug a device in.
  const args = readFileSync(join(root, 'hn', 'qemu-args.txt'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const qemu = spawn(
    'qemu-system-x86_64',
    ['-accel', 'tcg', '-m', '64', '-display', 'none', '-serial', 'none', '-monitor', 'none', ...args],
    { stdio: 'ignore' },
  );
  try {
    for (const end = Date.now() + 10_000; !existsSync(join(root, 'hn', 'qmp.sock'));) {
      assert.ok(Date.now() < end, 'QEMU made no QMP socket');
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await vmmeta(['nic', 'add', '--json', 'hn', '--id', 'data0', '--mac', hot, '--address', '10.20.0.5/24'], {
      root,
    });
    assert.equal(r.code, 0, r.stderr);
    const nd = await httpGet({
      socketPath: join(root, 'hn', 'sidecar.sock'),
      path: '/openstack/latest/network_data.json',
    });
    assert.match(nd.body, new RegExp(hot));
    assert.deepEqual(sidecarPids(root).length, 1, 'still only the process-mode VM has a serve process');
  } finally {
    qemu.kill('SIGKILL');
  }
  assert.equal((await vmmeta(['delete', 'hn'], { root })).code, 0);
});

test('corrupt documents fail that VM only, with the file and the reason in inspect and sidecar.log', async () => {
  writeFileSync(join(root, 'hb', 'served.json'), '{"version":1,"vm":"hb"', { mode: 0o600 });
  await stopHost();
  const h = await startHost();
  assert.deepEqual(h.ready.failed, ['hb']);
  assert.equal(await answers('ha'), true, 'the healthy VM is served');
  const inspect = json<{ warnings: Array<{ code: string; message: string }> }>(
    await vmmeta(['inspect', '--json', 'hb'], { root }),
  );
  const w = inspect.warnings.find((x) => x.code === 'host-load-failed');
  assert.match(w?.message ?? JSON.stringify(inspect.warnings), /cannot serve hb: .*hb\/served\.json: not JSON/);
  assert.match(readFileSync(join(root, 'hb', 'sidecar.log'), 'utf8'), /vmmeta host: cannot serve hb: .*not JSON/);
  // a create of the same spec repairs it, through the same host
  const fixed = json<Created>(await vmmeta(['create', '--json', '--force', spec('hb')], { root }));
  assert.equal(fixed.sidecar?.pid, h.child.pid);
  assert.equal((await metaOf('hb')).uuid, UUIDS.hb);
});

test('delete unloads the VM from the host; with the host gone, inspect says so', async () => {
  const del = await vmmeta(['delete', 'hb'], { root });
  assert.equal(del.code, 0, del.stderr);
  assert.equal(existsSync(join(root, 'hb')), false);
  assert.equal(await answers('ha'), true);
  await stopHost();
  const inspect = json<{ warnings: Array<{ code: string; hint?: string }> }>(
    await vmmeta(['inspect', '--json', 'ha'], { root }),
  );
  const w = inspect.warnings.find((x) => x.code === 'host-not-running');
  assert.match(w?.hint ?? JSON.stringify(inspect.warnings), /vmmeta host --state-dir /);
  assert.equal(
    inspect.warnings.some((x) => x.code === 'sidecar-stopped' || x.code === 'sidecar-dead'),
    false,
  );
});
