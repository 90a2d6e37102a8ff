// vmmeta host-setup and doctor's tap checks, only inside a private network namespace: the first run adds the
// host's parts, the second finds them all present, --undo removes the addresses, and doctor names each missing
// part with the command that fixes it (and a VM whose rules were flushed with `vmmeta start`).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeNetns, NETNS_TOOLS_OK } from '../helpers/netns.js';

const skip = NETNS_TOOLS_OK ? false : 'needs root with ip, nft and curl';

test('host-setup: idempotent, undoable; doctor checks each part and names the fix', { skip }, () => {
  const ns = makeNetns('hostsetup');
  const root = mkdtempSync(join(tmpdir(), 'vmm13-hs-'));
  try {
    ns.sh('ip link set lo up; ip link add br0 type bridge; ip link set br0 up');
    const run = (args: string[]) => {
      const r = ns.vmmeta(root, args);
      return { code: r.status, doc: JSON.parse(r.stdout || '{}') as Record<string, unknown>, stderr: r.stderr };
    };
    const actions = (r: { doc: Record<string, unknown> }) =>
      Object.fromEntries((r.doc.steps as Array<{ id: string; action: string }>).map((s) => [s.id, s.action]));
    const first = run(['host-setup', '--bridge', 'br0', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(actions(first)['lo 169.254.169.254/32'], 'added');
    assert.equal(actions(first)['br0 fe80::a9fe:a9fe/64'], 'added');
    const addrs = ns.sh('ip -o addr show');
    assert.match(addrs, /lo\s+inet 169\.254\.169\.254\/32/);
    assert.match(addrs, /br0\s+inet6 fe80::a9fe:a9fe\/64/);
    const again = run(['host-setup', '--bridge', 'br0', '--json']);
    assert.ok(
      Object.values(actions(again)).every((a) => a === 'present'),
      JSON.stringify(actions(again)),
    );

    writeFileSync(join(root, 'web.yaml'), 'name: web\nsidecar:\n  path: tap\n  tap: {device: tap-web, bridge: br0}\n');
    assert.equal(ns.vmmeta(root, ['create', join(root, 'web.yaml')]).status, 0);
    const checks = (r: { doc: Record<string, unknown> }) =>
      Object.fromEntries(
        (r.doc.checks as Array<{ name: string; status: string; hint?: string }>).map((c) => [c.name, c]),
      );
    let doc = checks(run(['doctor', '--json']));
    assert.equal(doc['host: lo 169.254.169.254/32']?.status, 'ok');
    assert.equal(doc['host: br0 fe80::a9fe:a9fe/64']?.status, 'ok');
    assert.equal(doc['rules: web']?.status, 'ok');
    ns.sh('nft flush ruleset');
    doc = checks(run(['doctor', '--json']));
    assert.equal(doc['rules: web']?.status, 'fail');
    assert.equal(doc['rules: web']?.hint, 'vmmeta start web');

    const undo = run(['host-setup', '--bridge', 'br0', '--undo', '--json']);
    assert.equal(actions(undo)['lo 169.254.169.254/32'], 'removed');
    assert.equal(actions(undo)['br0 fe80::a9fe:a9fe/64'], 'removed');
    assert.doesNotMatch(ns.sh('ip -o addr show'), /169\.254\.169\.254|fe80::a9fe:a9fe/);
    const after = run(['doctor', '--json']);
    assert.equal(after.code, 1);
    doc = checks(after);
    assert.equal(doc['host: lo 169.254.169.254/32']?.status, 'fail');
    assert.match(doc['host: br0 fe80::a9fe:a9fe/64']?.hint ?? '', /^vmmeta host-setup --bridge br0/);
    // Without --bridge, the interfaces come from the tap-mode VMs in the root.
    assert.equal(actions(run(['host-setup', '--json']))['br0 fe80::a9fe:a9fe/64'], 'added');
    assert.equal(ns.vmmeta(root, ['delete', 'web']).status, 0);
  } finally {
    ns.vmmeta(root, ['delete', 'web']);
    ns.destroy();
    rmSync(root, { recursive: true, force: true });
  }
});
