// `create` killed with SIGKILL at points spread over its whole run (parse, render, staging, ISO, rename, sidecar
// launch, readiness wait), then re-run: it completes, inspect is clean, no staging folder is taken for a VM and
// exactly one sidecar serves the VM. The same for an update of an existing VM killed mid-way.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { vmmeta, json, tempRoot, cleanupRoot, httpGet, writeSpec, sidecarPids } from '../helpers/cli.js';

const root = tempRoot();
const specDir = tempRoot('vmspec-');
after(async () => {
  await cleanupRoot(root);
  await cleanupRoot(specDir);
});

type Inspected = {
  uuid: string;
  sidecar: { state: string; answering: boolean; pid: number };
  warnings: Array<{ code: string; message: string }>;
  spec: { links: unknown[] };
};

function sidecarsOf(vm: string): number[] {
  return sidecarPids(root).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(vm);
    } catch {
      return false;
    }
  });
}

// Deterministic "random" kill points (a linear congruential sequence), so a failure can be replayed.
function killPoints(n: number, maxMs: number, seed = 7): number[] {
  const out: number[] = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push(Math.round(((i + x / 2 ** 31) / n) * maxMs));
  }
  return out;
}

async function assertClean(name: string, hostname: string): Promise<void> {
  const leftovers = readdirSync(root).filter((e) => e.startsWith(`${name}.`));
  assert.deepEqual(leftovers, [], 'no staging or deleting folders left');
  const r = await vmmeta(['inspect', name, '--json'], { root });
  assert.equal(r.code, 0, r.stderr);
  const i = json<Inspected>(r);
  assert.equal(i.sidecar.state, 'running');
  assert.equal(i.sidecar.answering, true);
  const bad = i.warnings.filter((w) =>
    ['leftover', 'sidecar-dead', 'sidecar-stopped', 'sidecar-not-answering'].includes(w.code),
  );
  assert.deepEqual(bad, []);
  assert.deepEqual(sidecarsOf(name), [i.sidecar.pid], 'exactly one sidecar, the recorded one');
  const sidecar = JSON.parse(readFileSync(`${root}/${name}/sidecar.json`, 'utf8')) as {
    listen: Array<{ kind: string; path?: string }>;
  };
  const socketPath = sidecar.listen.find((l) => l.kind === 'unix')!.path!;
  const md = JSON.parse(
    (await httpGet({ socketPath, path: '/openstack/latest/meta_data.json?vmmeta=probe' })).body,
  ) as { uuid: string; hostname: string };
  assert.equal(md.uuid, i.uuid);
  assert.equal(md.hostname, hostname);
}

test(
  'create killed at random points, then re-run: completes and nothing is corrupt',
  { timeout: 300_000 },
  async () => {
    const points = killPoints(12, 1800);
    for (const [i, ms] of points.entries()) {
      const name = `crash-${i}`;
      const spec = writeSpec(specDir, name, `hostname: h-${name}\n`);
      const killed = await vmmeta(['create', spec], { root, killAfterMs: ms });
      const rerun = await vmmeta(['create', spec, '--json'], { root });
      assert.equal(
        rerun.code,
        0,
        `kill after ${ms} ms (${killed.signal ?? `exit ${killed.code}`}), re-run: ${rerun.stderr}`,
      );
      await assertClean(name, `h-${name}`);
    }
  },
);

test('an update killed at random points, then re-run: the new documents are served', { timeout: 300_000 }, async () => {
  const name = 'crash-update';
  writeSpec(specDir, name, 'hostname: before\n');
  assert.equal((await vmmeta(['create', `${specDir}/${name}.yaml`], { root })).code, 0);
  for (const [i, ms] of killPoints(6, 1500, 11).entries()) {
    const spec = writeSpec(specDir, name, `hostname: after-${i}\n${i % 2 ? 'datasource: { nocloud: none }\n' : ''}`);
    await vmmeta(['create', spec], { root, killAfterMs: ms });
    const rerun = await vmmeta(['create', spec], { root });
    assert.equal(rerun.code, 0, `kill after ${ms} ms, re-run: ${rerun.stderr}`);
    await assertClean(name, `after-${i}`);
  }
});

// The window the kill points above only sometimes hit: an update killed after it committed served.json and
// state.json, before the sidecar reloaded them. Reproduced exactly: the files say "before" while the running
// sidecar still holds "after" in memory. Re-running create with the "before" spec is a no-op for the files, and
// must still leave the sidecar serving them.
test(
  'a re-run reloads a sidecar that still serves what an interrupted update replaced',
  { timeout: 60_000 },
  async () => {
    const name = 'stale-sidecar';
    const spec = writeSpec(specDir, name, 'hostname: before\n');
    assert.equal((await vmmeta(['create', spec], { root })).code, 0);
    const dir = `${root}/${name}`;
    const committed = Object.fromEntries(
      ['spec.yaml', 'state.json', 'served.json'].map((f) => [f, readFileSync(`${dir}/${f}`)]),
    );
    assert.equal((await vmmeta(['create', writeSpec(specDir, name, 'hostname: after\n')], { root })).code, 0);
    for (const [f, bytes] of Object.entries(committed)) writeFileSync(`${dir}/${f}`, bytes);

    const rerun = await vmmeta(['create', writeSpec(specDir, name, 'hostname: before\n'), '--json'], { root });
    assert.equal(rerun.code, 0, rerun.stderr);
    // The files the interrupted update had already swapped in (meta/, qemu args, …) no longer match state.json:
    // the re-run rebuilds them, and the sidecar reloads the restored documents.
    const r = json<{ action: string; sidecarAction: string; repaired: string[] }>(rerun);
    assert.deepEqual(
      { action: r.action, sidecarAction: r.sidecarAction },
      { action: 'updated', sidecarAction: 'reloaded' },
    );
    assert.ok(
      r.repaired.some((f) => f.startsWith('meta/')),
      r.repaired.join(', '),
    );
    await assertClean(name, 'before');
  },
);
