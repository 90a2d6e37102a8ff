// inspect explains broken setups: a dead sidecar, a NoCloud CD still attached while OpenStack was intended, a
// guest that never called, no path from 169.254.169.254 to the sidecar, a non-x86 guest, user-data too big for
// EC2 clients; and a sidecar that never answers is given up on at the deadline. inspect only reads: a dead sidecar's files are reported, never removed.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vmmeta, json, tempRoot, cleanupRoot, writeSpec, isAlive } from '../helpers/cli.js';

const root = tempRoot();
const specDir = tempRoot('vmspec-');
after(async () => {
  await cleanupRoot(root);
  await cleanupRoot(specDir);
});

type Inspected = {
  sidecar: { state: string; pid: number | null; answering: boolean };
  datasource: { predicted: string | null };
  warnings: Array<{ code: string; message: string; hint?: string }>;
};

async function inspectJson(name: string): Promise<Inspected> {
  const r = await vmmeta(['inspect', name, '--json'], { root });
  assert.equal(r.code, 0, r.stderr);
  return json<Inspected>(r);
}
const codes = (i: Inspected) => i.warnings.map((w) => w.code).sort();

test('a dead sidecar: reported with its pid and a hint, and its files left alone', async () => {
  assert.equal(
    (await vmmeta(['create', writeSpec(specDir, 'dead', 'datasource: { nocloud: none }\n')], { root })).code,
    0,
  );
  const before = await inspectJson('dead');
  assert.deepEqual(codes(before), ['guest-never-called']);
  process.kill(before.sidecar.pid!, 'SIGKILL');
  for (let i = 0; i < 100 && isAlive(before.sidecar.pid!); i++) await new Promise((r) => setTimeout(r, 20));
  const sidecarJson = readFileSync(join(root, 'dead', 'sidecar.json'), 'utf8');
  const after = await inspectJson('dead');
  assert.equal(after.sidecar.state, 'dead');
  assert.equal(after.sidecar.pid, before.sidecar.pid);
  const w = after.warnings.find((x) => x.code === 'sidecar-dead')!;
  assert.match(w.message, new RegExp(`pid ${before.sidecar.pid}`));
  assert.equal(w.hint?.startsWith('vmmeta start dead'), true);
  assert.equal(after.datasource.predicted, 'None', 'ds-identify finds OpenStack but nothing answers: DataSourceNone');
  assert.equal(readFileSync(join(root, 'dead', 'sidecar.json'), 'utf8'), sidecarJson, 'inspect never writes');
  const human = await vmmeta(['inspect', 'dead'], { root });
  assert.match(human.stdout, /! the sidecar \(pid \d+\) is not running any more/);
  assert.match(human.stdout, /hint: vmmeta start dead/);
  const list = await vmmeta(['list'], { root });
  assert.match(list.stdout, /^dead +dead /m);
  // create repairs it: same spec, sidecar restarted.
  const again = json<{ action: string; sidecarAction: string }>(
    await vmmeta(['create', join(specDir, 'dead.yaml'), '--json'], { root }),
  );
  assert.deepEqual([again.action, again.sidecarAction], ['unchanged', 'started']);
  assert.equal((await inspectJson('dead')).sidecar.answering, true);
});

test('a NoCloud CD attached while OpenStack SMBIOS and listen addresses are set: NoCloud wins, and inspect says how to fix it', async () => {
  assert.equal((await vmmeta(['create', writeSpec(specDir, 'withcd'), '--listen', 'unix'], { root })).code, 0);
  const i = await inspectJson('withcd');
  assert.equal(i.datasource.predicted, 'NoCloud');
  const w = i.warnings.find((x) => x.code === 'nocloud-cd-with-openstack')!;
  assert.match(w.message, /NoCloud wins/);
  assert.match(w.hint!, /--suppress-nocloud/);
  assert.ok(existsSync(join(root, 'withcd', 'cidata.iso')));
  const fixed = await vmmeta(['update', 'withcd', join(specDir, 'withcd.yaml'), '--suppress-nocloud'], { root });
  assert.equal(fixed.code, 0, fixed.stderr);
  const j = await inspectJson('withcd');
  assert.equal(j.datasource.predicted, 'OpenStackLocal');
  assert.ok(!codes(j).includes('nocloud-cd-with-openstack'));
});

test('a guest that never called: warned while the sidecar runs, gone after one guest request', async () => {
  const i = await inspectJson('withcd');
  assert.ok(codes(i).includes('guest-never-called'));
  const human = await vmmeta(['inspect', 'withcd'], { root });
  assert.match(human.stdout, /Requests from the guest \(0\)\n  none: the guest has not called the sidecar/);
});

test('no guestfwd or DNAT path, a non-x86 guest, and user-data over the EC2 limit are each warned about', async () => {
  const big = 'x'.repeat(17000);
  const spec = writeSpec(
    specDir,
    'odd',
    `guest: { arch: aarch64 }\nsidecar: { listen: ["127.0.0.1:0"] }\ndatasource: { nocloud: none }\nuserData: "#!/bin/sh\\n# ${big}\\n"\n`,
  );
  const r = await vmmeta(['create', spec, '--json'], { root });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(json<{ qemu: { guestfwd: string | null } }>(r).qemu.guestfwd, null);
  const i = await inspectJson('odd');
  for (const c of ['no-metadata-path', 'non-x86-guest', 'ec2-user-data-too-big'])
    assert.ok(codes(i).includes(c), `${c} in ${codes(i).join(', ')}`);
  assert.match(
    i.warnings.find((w) => w.code === 'ec2-user-data-too-big')!.message,
    /1\d{4} bytes; EC2 clients .* at most 16384/,
  );
  // --listen 169.254.169.254:80 records a bridged path: the warning goes (the address is only recorded here).
  const spec2 = writeSpec(specDir, 'bridged', 'sidecar: { listen: ["127.0.0.1:0"] }\n');
  await vmmeta(['create', spec2, '--no-start'], { root });
  const state = JSON.parse(readFileSync(join(root, 'bridged', 'state.json'), 'utf8')) as {
    outputs: { guestfwd: string | null };
  };
  assert.equal(state.outputs.guestfwd, null);
  assert.ok(codes(await inspectJson('bridged')).includes('no-metadata-path'));
  assert.ok(codes(await inspectJson('bridged')).includes('sidecar-stopped'));
});

test(
  'a sidecar that never answers: start gives up at the deadline, kills it, names sidecar.log',
  { timeout: 60_000 },
  async () => {
    await vmmeta(['create', writeSpec(specDir, 'frozen', 'datasource: { nocloud: none }\n'), '--no-start'], { root });
    const launch = join(root, 'frozen', 'sidecar.launch');
    const run = vmmeta(['start', 'frozen'], { root, env: { VMMETA_READY_TIMEOUT_MS: '3000' } });
    // Freeze the sidecar as soon as it is launched, before it can answer.
    let pid = 0;
    for (let i = 0; i < 400 && !pid; i++) {
      if (existsSync(launch)) pid = (JSON.parse(readFileSync(launch, 'utf8')) as { pid: number }).pid;
      else await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(pid, 'the launcher recorded the pid');
    process.kill(pid, 'SIGSTOP');
    const r = await run;
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^vmmeta: waiting for the sidecar of frozen \(pid \d+\) to answer…$/m,
      'a progress line after a second',
    );
    assert.match(r.stderr, /^vmmeta: the sidecar of frozen did not answer within 3 s$/m);
    assert.match(r.stderr, /hint: see .*frozen\/sidecar\.log/);
    for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((res) => setTimeout(res, 20));
    assert.ok(!isAlive(pid), 'no orphan left');
  },
);
