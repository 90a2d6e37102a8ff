// Whole `list` and `inspect` outputs, pinned at two terminal widths (COLUMNS, as a pipe to a pager sees them) in
// test/golden-cli/. The VMs are real (created by the binary, sidecars not started); what differs from run to
// run (the state root, timestamps) is replaced by placeholders before the comparison, nothing else.
// UPDATE_GOLDEN=1 rewrites the files; review their diff like code.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vmmeta, tempRoot, cleanupRoot, writeSpec } from '../helpers/cli.js';

const GOLDEN = fileURLToPath(new URL('../../../test/golden-cli/', import.meta.url));
const root = tempRoot();
const specs = tempRoot('vmspec-');
after(async () => {
  await cleanupRoot(root);
  await cleanupRoot(specs);
});

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBn8k2bJ4Zr1v3zVbQv0o2b7mXw0y9H9wYtP5kq3XyZ1 ops@example';
const NETWORK = `network:
  links:
    - {id: eth0, type: physical, mac: "52:54:00:aa:00:01"}
    - {id: eth1, type: physical, mac: "52:54:00:aa:00:02"}
  networks:
    - {link: eth0, type: ipv4_dhcp}
    - {link: eth1, type: ipv4, address: 10.20.0.5/24}
`;

function normalise(text: string): string {
  return text
    .replaceAll(root, '<root>')
    .replaceAll(specs, '<specs>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>');
}

function pin(name: string, text: string): void {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, text);
    return;
  }
  assert.ok(existsSync(path), `${path} missing: run with UPDATE_GOLDEN=1`);
  assert.equal(text, readFileSync(path, 'utf8'), `${name} differs (UPDATE_GOLDEN=1 to accept, then review the diff)`);
}

test('list and inspect print the same whole text every time, cut to 80 columns or at full width', async () => {
  const web = writeSpec(
    specs,
    'web-1',
    `uuid: 9b2f6c1e-4d3a-4f5b-8e7c-1a2b3c4d5e01\nsshKeys: [{name: ops, key: "${KEY}"}]\nuserData: "#cloud-config\\npackages: [htop]\\n"\n${NETWORK}`,
  );
  const db = writeSpec(specs, 'db-1', 'uuid: 9b2f6c1e-4d3a-4f5b-8e7c-1a2b3c4d5e02\n');
  for (const args of [
    ['create', web, '--no-start'],
    ['create', db, '--no-start', '--suppress-nocloud'],
  ]) {
    const r = await vmmeta(args, { root });
    assert.equal(r.code, 0, r.stderr);
  }
  for (const columns of ['80', '200']) {
    const list = await vmmeta(['list'], { root, env: { COLUMNS: columns } });
    assert.equal(list.code, 0, list.stderr);
    pin(`list-${columns}.txt`, normalise(list.stdout));
    for (const vm of ['web-1', 'db-1']) {
      const r = await vmmeta(['inspect', vm], { root, env: { COLUMNS: columns } });
      assert.equal(r.code, 0, r.stderr);
      pin(`inspect-${vm}-${columns}.txt`, normalise(r.stdout));
    }
  }
  // The width is honoured: no line of the 80-column list runs past it.
  const narrow = readFileSync(join(GOLDEN, 'list-80.txt'), 'utf8').split('\n');
  for (const line of narrow) assert.ok(line.length <= 80, `list line of ${line.length} columns: ${line}`);
});
