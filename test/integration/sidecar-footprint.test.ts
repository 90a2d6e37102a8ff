// Footprint of the real `vmmeta serve` serving the real renderer's tree: ten at once, each measured from
// /proc/<pid>/smaps_rollup, and the time from spawn to the first answered request. Bounds are loose (this
// machine's noise is large); the figures are printed for the record.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '../../src/spec/load.js';
import { renderHttpTree } from '../../src/render/http.js';
import { spawnServe, writeVmState, type ServeProcess } from '../helpers/sidecar.js';

const EXAMPLE = fileURLToPath(new URL('../../../templates/examples/three-nic.yaml', import.meta.url));
const N = 10;

function rollup(pid: number): { rss: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)![1]);
  return { rss: kb('Rss'), pss: kb('Pss') };
}

test(`${N} sidecars at once: memory and time to first answer`, async () => {
  const vm = (await loadSpecFile(EXAMPLE)).vm;
  const tree = renderHttpTree(vm);
  const root = mkdtempSync(join(tmpdir(), 'vmmeta-footprint-'));
  const running: ServeProcess[] = [];
  const firstAnswerMs: number[] = [];
  try {
    for (let i = 0; i < N; i++) {
      writeVmState(root, `vm${i}`, tree, { uuid: vm.uuid });
      const t0 = performance.now();
      const sp = await spawnServe(root, `vm${i}`, ['--listen', '127.0.0.1:0']);
      const { host, port } = sp.ready.listen[0] as { host: string; port: number };
      const res = await fetch(`http://${host}:${port}/openstack/latest/meta_data.json`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), new RegExp(vm.uuid));
      firstAnswerMs.push(performance.now() - t0);
      running.push(sp);
    }
    await new Promise((r) => setTimeout(r, 300));
    const mem = running.map((sp) => rollup(sp.ready.pid));
    const avg = (k: 'rss' | 'pss') => Math.round(mem.reduce((a, m) => a + m[k], 0) / N);
    const sorted = [...firstAnswerMs].sort((a, b) => a - b);
    process.stdout.write(
      `# ${N} sidecars: RSS avg ${avg('rss')} kB, PSS avg ${avg('pss')} kB (PSS total ${mem.reduce((a, m) => a + m.pss, 0)} kB); ` +
        `spawn→first answer median ${sorted[N >> 1]!.toFixed(0)} ms, max ${sorted[N - 1]!.toFixed(0)} ms\n`,
    );
    assert.ok(avg('pss') < 40 * 1024, `PSS avg ${avg('pss')} kB`);
    assert.ok(avg('rss') < 80 * 1024, `RSS avg ${avg('rss')} kB`);
    assert.ok(sorted[N - 1]! < 10_000, `slowest first answer ${sorted[N - 1]} ms`);
  } finally {
    for (const sp of running) sp.child.kill('SIGTERM');
    await Promise.all(running.map((sp) => sp.exit));
  }
});
