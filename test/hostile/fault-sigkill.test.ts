// A sidecar killed with SIGKILL (OOM killer, a careless kill -9): nothing removes its sidecar.json, so inspect
// must see through it (pid gone -> "dead", not answering, a warning that says what to run), `vmmeta start` must
// bring it back on the same documents, and the VM's files must be untouched by all of it.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  alive,
  fingerprint,
  killServes,
  sidecarPid,
  sidecarPort,
  stackTrace,
  tempDir,
  vmmeta,
  writeSpec,
} from './fault-kit.js';
import { httpGet } from '../../bench/lib/http.js';

const RUNTIME = /^(sidecar\.(json|launch|log|sock|pid)|access\.ndjson.*|lock|sidecar\.events\.ndjson)$/;

async function waitGone(pid: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still alive after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('SIGKILLed sidecar: inspect reports it dead, start restores it, nothing lost', { timeout: 120_000 }, async () => {
  const work = tempDir('fault-kill');
  const root = join(work, 'state');
  const uuid = '7d1e0c5a-2b3f-4a6e-8c9d-112233445566';
  try {
    // An explicit loopback listener: this test is about recovery, and reads over TCP are what it checks.
    const spec = writeSpec(work, { name: 'fault-kill', uuid, listen: ['unix', '127.0.0.1:0'] });
    const created = await vmmeta(['create', spec, '--json'], { root });
    assert.equal(created.code, 0, created.stderr);
    const pid = sidecarPid(root, 'fault-kill');
    const port = sidecarPort(root, 'fault-kill');
    assert.ok(pid && port, 'create recorded a pid and a tcp port');
    assert.match((await httpGet(port, '/openstack/latest/meta_data.json')).body, new RegExp(uuid));
    const before = fingerprint(join(root, 'fault-kill'), (rel) => RUNTIME.test(rel));

    process.kill(pid, 'SIGKILL');
    await waitGone(pid, 5000);

    const dead = await vmmeta(['inspect', 'fault-kill', '--json'], { root });
    assert.equal(dead.code, 0, dead.stderr);
    assert.equal(stackTrace(dead.stderr), undefined);
    const doc = JSON.parse(dead.stdout) as {
      sidecar: { state: string; answering: boolean };
      warnings: Array<{ code: string; hint?: string }>;
    };
    assert.equal(doc.sidecar.state, 'dead');
    assert.equal(doc.sidecar.answering, false);
    const warning = doc.warnings.find((w) => w.code === 'sidecar-dead');
    assert.ok(warning, `a sidecar-dead warning, got ${JSON.stringify(doc.warnings)}`);
    assert.match(warning.hint ?? '', /vmmeta start fault-kill/);

    const started = await vmmeta(['start', 'fault-kill', '--json'], { root });
    assert.equal(started.code, 0, started.stderr);
    const pid2 = sidecarPid(root, 'fault-kill');
    const port2 = sidecarPort(root, 'fault-kill');
    assert.ok(pid2 && port2 && pid2 !== pid && alive(pid2), 'a new sidecar process runs');
    const md = await httpGet(port2, '/openstack/latest/meta_data.json');
    assert.equal(md.status, 200);
    assert.equal((JSON.parse(md.body) as { uuid: string }).uuid, uuid);

    const back = JSON.parse((await vmmeta(['inspect', 'fault-kill', '--json'], { root })).stdout) as {
      sidecar: { state: string; answering: boolean };
    };
    assert.equal(back.sidecar.state, 'running');
    assert.equal(back.sidecar.answering, true);
    assert.deepEqual(
      fingerprint(join(root, 'fault-kill'), (rel) => RUNTIME.test(rel)),
      before,
      'the VM folder is byte for byte what it was',
    );

    const del = await vmmeta(['delete', 'fault-kill'], { root });
    assert.equal(del.code, 0, del.stderr);
    await waitGone(pid2, 5000);
  } finally {
    killServes(root);
    rmSync(work, { recursive: true, force: true });
  }
});
