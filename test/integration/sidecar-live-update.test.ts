// Live update under load: clients hammer the sidecar while the tree is swapped back and forth between two
// versions whose every document carries a version marker. Every answer must be 200 and byte-identical to that
// path's document in exactly one of the versions; both versions must be seen; nothing may fail.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { mkdtempSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSidecar } from '../../src/sidecar/server.js';
import { encodeServed } from '../../src/sidecar/served.js';
import type { FileTree } from '../../src/render/tree.js';
import { handTree, spawnServe, writeVmState, TEST_KEY, TEST_UUID } from '../helpers/sidecar.js';

const v1 = handTree('v1', { userData: '#cloud-config\n# version one\n' });
const v2 = handTree('v2', { userData: '#cloud-config\n# version two, longer\n' });
const paths = [...v1.keys()].filter((p) => Buffer.compare(Buffer.from(v1.get(p)!), Buffer.from(v2.get(p)!)) !== 0);

function fetchOnce(agent: Agent, port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function hammer(port: number, untilMs: number, workers = 8) {
  const seen = { v1: 0, v2: 0 };
  const failures: string[] = [];
  let total = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = w; Date.now() < untilMs; i++) {
        const path = paths[i % paths.length]!;
        total++;
        try {
          const res = await fetchOnce(agent, port, path);
          const isV1 = Buffer.compare(res.body, Buffer.from(v1.get(path)!)) === 0;
          const isV2 = Buffer.compare(res.body, Buffer.from(v2.get(path)!)) === 0;
          if (res.status !== 200 || isV1 === isV2)
            failures.push(`${path}: ${res.status} ${res.body.toString().slice(0, 60)}`);
          else seen[isV1 ? 'v1' : 'v2']++;
        } catch (err) {
          failures.push(`${path}: ${(err as Error).message}`);
        }
      }
      agent.destroy();
    }),
  );
  return { seen, failures, total };
}

test('reload() under concurrent requests: every answer wholly from one version, none fails', async () => {
  const served = (tree: FileTree) => ({ vm: 'web', uuid: TEST_UUID, imds: { tokens: 'optional' as const }, tree });
  const sc = await startSidecar({
    served: served(v1),
    tokenKey: TEST_KEY,
    listen: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }],
  });
  let n = 0;
  const swapper = setInterval(() => sc.reload(served(++n % 2 ? v2 : v1)), 2);
  const { seen, failures, total } = await hammer((sc.addresses[0] as { port: number }).port, Date.now() + 3000);
  clearInterval(swapper);
  await sc.close(100);
  assert.deepEqual(failures, []);
  assert.ok(seen.v1 > 20 && seen.v2 > 20, JSON.stringify({ seen, total, swaps: n }));
});

test('vmmeta serve: served.json replaced + SIGHUP repeatedly under load, no failed request', async () => {
  const root = mkdtempSync(join(tmpdir(), 'vmmeta-live-'));
  const dir = writeVmState(root, 'web', v1);
  const sp = await spawnServe(root, 'web', ['--listen', '127.0.0.1:0']);
  const port = (sp.ready.listen[0] as { port: number }).port;
  const texts = [v1, v2].map((t) => encodeServed(t, { vm: 'web', uuid: TEST_UUID, imds: { tokens: 'optional' } }));
  let n = 0;
  const swapper = setInterval(() => {
    // The way update writes it: a temp file renamed over served.json, then SIGHUP.
    const tmp = join(dir, `.served.json.${n}`);
    writeFileSync(tmp, texts[++n % 2]!);
    renameSync(tmp, join(dir, 'served.json'));
    sp.child.kill('SIGHUP');
  }, 25);
  const { seen, failures, total } = await hammer(port, Date.now() + 3000, 4);
  clearInterval(swapper);
  sp.child.kill('SIGTERM');
  assert.equal(await sp.exit, 0);
  assert.deepEqual(failures, []);
  assert.ok(seen.v1 > 10 && seen.v2 > 10, JSON.stringify({ seen, total, swaps: n }));
  assert.equal(sp.events.filter((e) => e.event === 'reload-failed').length, 0);
});
