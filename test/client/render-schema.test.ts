// `cloud-init schema` of each suite accepts every #cloud-config the examples carry (user-data, and the vendor
// cloud-config inside vendorData), exactly as rendered; a broken cloud-config is rejected, so the check can fail.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNoCloud } from '../../src/render/nocloud.js';
import { renderOpenStackDisk } from '../../src/render/openstack.js';
import {
  cloudInitClient,
  suiteAtLeast,
  SUITES,
  type CloudInitClient,
  type Suite,
  cloudInitEnv,
} from '../helpers/cloud-init.js';
import { EXAMPLE_NAMES, loadExample } from '../helpers/render-io.js';

// Pinned: 20.4 has the validator under `cloud-init devel schema`; 22.4, 25.1 and 26.2 under `cloud-init schema`.
const SUBCOMMAND: Record<Suite, string[]> = {
  bullseye: ['devel', 'schema'],
  bookworm: ['schema'],
  trixie: ['schema'],
  sid: ['schema'],
};
// Pinned: each generation words its success line differently.
const VALID: Record<Suite, RegExp> = {
  bullseye: /^Valid cloud-config: /m,
  bookworm: /^Valid cloud-config: /m,
  trixie: /^Valid schema /m,
  sid: /^Valid schema /m,
};

function schema(client: CloudInitClient, file: string): { status: number | null; out: string } {
  const res = spawnSync(
    '/usr/bin/python3',
    ['-m', 'cloudinit.cmd.main', ...SUBCOMMAND[client.suite], '--config-file', file],
    {
      cwd: '/',
      encoding: 'utf8',
      timeout: 60_000,
      env: cloudInitEnv(client),
    },
  );
  return { status: res.status, out: `${res.stdout}${res.stderr}` };
}

const isCloudConfig = (b: Uint8Array | undefined): b is Uint8Array =>
  b !== undefined && new TextDecoder().decode(b).startsWith('#cloud-config\n');

for (const suite of SUITES) {
  test(`${suite}: cloud-init schema accepts the examples' cloud-config and rejects a broken one`, async () => {
    const client = cloudInitClient(suite);
    const dir = mkdtempSync(join(tmpdir(), 'vmmeta-schema-'));
    try {
      let checked = 0;
      for (const name of EXAMPLE_NAMES) {
        const vm = await loadExample(name);
        // The bytes the guest gets: OpenStack user_data and NoCloud's vendor-data (the vendor cloud-config).
        const docs = [renderOpenStackDisk(vm).get('openstack/latest/user_data'), renderNoCloud(vm).get('vendor-data')];
        for (const [i, doc] of docs.entries()) {
          if (!isCloudConfig(doc)) continue;
          const file = join(dir, `${name}-${i}.yaml`);
          writeFileSync(file, doc);
          const r = schema(client, file);
          assert.equal(r.status, 0, `${name}: ${r.out}`);
          assert.match(r.out, VALID[suite]);
          checked++;
        }
      }
      assert.ok(checked >= 4, `only ${checked} cloud-configs checked`);
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, '#cloud-config\nruncmd: 5\n');
      const r = schema(client, bad);
      assert.equal(r.status, 1, r.out);
      assert.match(r.out, /runcmd: 5 is not of type 'array'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const suite of SUITES) {
  test(`${suite}: NoCloud network-config passes the network-config schema where the client has one`, async () => {
    const client = cloudInitClient(suite);
    // Pinned: 20.4 and 22.4 have no network-config schema (`-t` is not an option there); 25.1 and 26.2 do.
    const hasNetSchema = suiteAtLeast(suite, '25.1');
    const dir = mkdtempSync(join(tmpdir(), 'vmmeta-netschema-'));
    const run = (file: string) =>
      spawnSync(
        '/usr/bin/python3',
        ['-m', 'cloudinit.cmd.main', ...SUBCOMMAND[suite], '-t', 'network-config', '-c', file],
        {
          cwd: '/',
          encoding: 'utf8',
          timeout: 60_000,
          env: cloudInitEnv(client),
        },
      );
    try {
      let checked = 0;
      for (const name of EXAMPLE_NAMES) {
        const doc = renderNoCloud(await loadExample(name)).get('network-config');
        if (doc === undefined) continue;
        const file = join(dir, `${name}.yaml`);
        writeFileSync(file, doc);
        const r = run(file);
        if (!hasNetSchema) {
          assert.equal(r.status, 2, r.stderr);
          assert.match(r.stderr, /unrecognized arguments: -t/);
          continue;
        }
        assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /^Valid schema /m);
        checked++;
      }
      if (hasNetSchema) {
        assert.ok(checked >= 2, `only ${checked} network-configs checked`);
        // The schema is strict enough to fail: an integer mii-monitor-interval is refused (hence vmmeta's string).
        const bad = join(dir, 'bad.yaml');
        writeFileSync(
          bad,
          'version: 2\nethernets:\n  e0:\n    match: {macaddress: "52:54:00:00:00:01"}\nbonds:\n  b0:\n    interfaces: [e0]\n    parameters: {mode: active-backup, mii-monitor-interval: 100}\n',
        );
        const r = run(bad);
        assert.equal(r.status, 1, r.stdout);
        assert.match(`${r.stdout}${r.stderr}`, /mii-monitor-interval: 100 is not of type 'string'/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
