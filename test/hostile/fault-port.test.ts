// The sidecar's port is already taken (another service, a stale sidecar of a VM created elsewhere): create must
// fail clearly (exit 1, naming the address), leave no sidecar process behind, and not disturb the port's owner
// or any other VM.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, killServes, servePids, stackTrace, tempDir, vmmeta, writeSpec } from './fault-kit.js';
import { httpGet } from '../../bench/lib/http.js';

test(
  'port already taken: clear error, exit 1, no orphan sidecar, owner and other VMs undisturbed',
  { timeout: 120_000 },
  async () => {
    const work = tempDir('fault-port');
    const root = join(work, 'state');
    const owner: Server = createServer((_q, s) => s.end('owner'));
    await new Promise<void>((r) => owner.listen(0, '127.0.0.1', r));
    const port = (owner.address() as { port: number }).port;
    try {
      const a = await vmmeta(['create', writeSpec(work, { name: 'port-a' }), '--json'], { root });
      assert.equal(a.code, 0, a.stderr);
      const before = fingerprint(join(root, 'port-a'), (rel) => /^(access\.ndjson|sidecar\.log)/.test(rel));

      const b = await vmmeta(['create', writeSpec(work, { name: 'port-b' }), '--listen', `127.0.0.1:${port}`], {
        root,
      });
      assert.equal(b.code, 1, `exit 1 expected, got ${b.code}: ${b.stderr}`);
      assert.equal(stackTrace(b.stderr), undefined, b.stderr);
      assert.match(
        b.stderr,
        new RegExp(`127\\.0\\.0\\.1:${port}|in use|EADDRINUSE`),
        'the message names the address or says it is in use',
      );
      const orphans = servePids(root).filter((pid) =>
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('port-b'),
      );
      assert.deepEqual(orphans, [], 'no port-b sidecar left running');
      assert.equal((await httpGet(port, '/')).body, 'owner', 'the port owner still answers');
      assert.deepEqual(
        fingerprint(join(root, 'port-a'), (rel) => /^(access\.ndjson|sidecar\.log)/.test(rel)),
        before,
        'port-a unchanged',
      );
    } finally {
      owner.close();
      killServes(root);
      rmSync(work, { recursive: true, force: true });
    }
  },
);
