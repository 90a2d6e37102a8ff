// Many creates at once: 50 different VMs all succeed with distinct ports and each sidecar answers with its own
// VM's data; two creates of the same VM race, one wins, the other exits 4 and the state stays intact.
import { ec2InstanceIdFor } from '../../src/spec/ids.js';
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vmmeta, json, tempRoot, cleanupRoot, httpGet, writeSpec, sidecarPids } from '../helpers/cli.js';

const root = tempRoot();
const specDir = tempRoot('vmspec-');
after(async () => {
  await cleanupRoot(root);
  await cleanupRoot(specDir);
});

type Created = {
  name: string;
  uuid: string;
  sidecar: { pid: number; listen: Array<{ address: string; url?: string }> };
};

function sidecarsOf(vm: string): number[] {
  return sidecarPids(root).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(vm));
}

test(
  '50 parallel creates of different VMs: all succeed, distinct ports, each sidecar serves its own VM',
  { timeout: 300_000 },
  async () => {
    const names = Array.from({ length: 50 }, (_, i) => `par-${String(i).padStart(2, '0')}`);
    const started = performance.now();
    const runs = await Promise.all(
      names.map((n) =>
        vmmeta(
          [
            'create',
            writeSpec(specDir, n, `hostname: host-${n}\n`),
            '--listen',
            'unix',
            '--listen',
            '127.0.0.1:0',
            '--json',
          ],
          { root },
        ),
      ),
    );
    const wall = Math.round(performance.now() - started);
    const failed = runs.map((r, i) => [names[i], r] as const).filter(([, r]) => r.code !== 0);
    assert.deepEqual(
      failed.map(([n, r]) => `${n}: exit ${r.code}: ${r.stderr || r.stdout}`),
      [],
    );
    const created = runs.map((r) => json<Created>(r));
    const urls = created.map((c) => c.sidecar.listen.find((l) => l.url)!.url!);
    const ports = urls.map((u) => new URL(u).port);
    assert.equal(new Set(ports).size, 50, 'every sidecar has its own port');
    assert.equal(new Set(created.map((c) => c.uuid)).size, 50);
    for (const [i, c] of created.entries()) {
      assert.equal(c.name, names[i]);
      const md = await httpGet(`${urls[i]}openstack/latest/meta_data.json?vmmeta=probe`);
      assert.equal(md.status, 200);
      const doc = JSON.parse(md.body) as { uuid: string; hostname: string };
      assert.equal(doc.uuid, c.uuid, `${c.name} serves its own uuid`);
      assert.equal(doc.hostname, `host-${c.name}`);
      const ec2 = await httpGet(`${urls[i]}latest/meta-data/instance-id?vmmeta=probe`);
      assert.equal(ec2.body, ec2InstanceIdFor(c.uuid), `${c.name} serves its own EC2 id`);
    }
    const l = json<{ vms: Array<{ name: string; sidecar: { state: string; answering: boolean } }> }>(
      await vmmeta(['list', '--json'], { root }),
    );
    assert.equal(l.vms.filter((v) => v.sidecar.state === 'running' && v.sidecar.answering).length, 50);
    console.log(
      `# 50 parallel creates took ${wall} ms wall; slowest single create ${Math.max(...runs.map((r) => r.ms))} ms`,
    );
  },
);

test(
  'two parallel creates of the same VM: one wins, the other exits 4, the state is intact',
  { timeout: 120_000 },
  async () => {
    for (let round = 0; round < 3; round++) {
      const name = `race-${round}`;
      const spec = writeSpec(specDir, name, `hostname: ${name}\n`);
      const [a, b] = await Promise.all([
        vmmeta(['create', spec, '--json'], { root }),
        vmmeta(['create', spec, '--json'], { root }),
      ]);
      const codes = [a.code, b.code].sort();
      assert.deepEqual(codes, [0, 4], `round ${round}: ${a.stderr}${a.stdout} | ${b.stderr}${b.stdout}`);
      const loser = a.code === 4 ? a : b;
      const err = json<{ ok: boolean; error: { message: string; code: number } }>(loser);
      assert.equal(err.ok, false);
      assert.equal(err.error.code, 4);
      assert.match(
        err.error.message,
        new RegExp(`(another vmmeta command .*holds ${name}|${name} was created by another vmmeta command)`),
      );
      const winner = json<Created>(a.code === 0 ? a : b);
      const state = JSON.parse(readFileSync(join(root, name, 'state.json'), 'utf8')) as {
        uuid: string;
        version: number;
      };
      assert.equal(state.version, 1);
      assert.equal(state.uuid, winner.uuid);
      const i = json<{ sidecar: { answering: boolean; pid: number }; warnings: Array<{ code: string }> }>(
        await vmmeta(['inspect', name, '--json'], { root }),
      );
      assert.equal(i.sidecar.answering, true);
      assert.equal(i.sidecar.pid, winner.sidecar.pid);
      assert.deepEqual(sidecarsOf(name), [winner.sidecar.pid], 'exactly one sidecar');
      assert.ok(!i.warnings.some((w) => w.code === 'leftover'));
    }
  },
);
