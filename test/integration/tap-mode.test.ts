// Tap mode end to end with the real CLI, inside a private network namespace (test/helpers/netns.ts): create
// starts each VM's sidecar on the metadata addresses and installs its nftables rules; veth "guests" on the
// bridge reach only their own VM over IPv4 and fe80::a9fe:a9fe; a direct connection to the other VM's port is
// refused; start and a no-op create put flushed rules back; update swaps them; delete leaves the ruleset as it
// was before the first create. The real-guest version is test/guest/bridge-guests.test.ts.
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { curlFrom, hostSide, makeNetns, NETNS_TOOLS_OK, stateOf, vethGuest, type Netns } from '../helpers/netns.js';

const skip = NETNS_TOOLS_OK ? false : 'needs root with ip, nft and curl';

const spec = (name: string, device: string, extra = '') => `name: ${name}
instanceId: i-${name}
sidecar:
  path: tap
  tap:
    device: ${device}
    bridge: br0
${extra}`;

describe('tap mode: create installs, start re-applies, update swaps, delete removes', { skip }, () => {
  let ns: Netns;
  let root: string;
  let before0: string;
  const guests: Record<string, string> = {};
  const ok = (r: { status: number | null; stderr: string; stdout: string }) =>
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, unknown>;

  before(() => {
    ns = makeNetns('tapmode');
    hostSide(ns);
    guests.vm1 = vethGuest(ns, 'tap-vm1', '192.0.2.11');
    guests.vm2 = vethGuest(ns, 'tap-vm2', '192.0.2.12');
    root = mkdtempSync(join(tmpdir(), 'vmm13-'));
    for (const vm of ['vm1', 'vm2']) writeFileSync(join(root, `${vm}.yaml`), spec(vm, `tap-${vm}`));
    before0 = ns.ruleset();
  });

  after(() => {
    for (const vm of ['vm1', 'vm2']) ns?.vmmeta(root, ['delete', vm]);
    ns?.destroy();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('create: a recorded port, listeners on the metadata addresses, one QEMU tap NIC, the rules loaded', () => {
    const r1 = ns.vmmeta(root, ['create', join(root, 'vm1.yaml'), '--json']);
    ok(r1);
    const r2 = ns.vmmeta(root, ['create', join(root, 'vm2.yaml'), '--json']);
    ok(r2);
    assert.equal(json(r1).rules, 'installed');
    assert.deepEqual((stateOf(root, 'vm1').outputs as { tap: unknown }).tap, {
      device: 'tap-vm1',
      bridge: 'br0',
      port: 8801,
    });
    assert.deepEqual((stateOf(root, 'vm2').outputs as { tap: unknown }).tap, {
      device: 'tap-vm2',
      bridge: 'br0',
      port: 8802,
    });
    const argv = JSON.parse(readFileSync(join(root, 'vm1', 'qemu-args.json'), 'utf8')) as string[];
    assert.ok(argv.includes('tap,id=vmmeta0,ifname=tap-vm1,script=no,downscript=no'), argv.join(' '));
    assert.ok(!argv.some((a) => a.startsWith('user,')), 'no user-mode NIC in tap mode');
    const listen = (
      JSON.parse(readFileSync(join(root, 'vm1', 'sidecar.json'), 'utf8')) as {
        listen: Array<{ host?: string; port?: number; kind: string }>;
      }
    ).listen;
    assert.deepEqual(
      listen.map((l) => (l.kind === 'unix' ? 'unix' : `${l.host}:${l.port}`)),
      ['unix', '169.254.169.254:8801', 'fe80::a9fe:a9fe%br0:8801'],
    );
    const rules = ns.ruleset();
    for (const t of [
      'table bridge vmmeta-vm1',
      'table inet vmmeta-vm1',
      'table bridge vmmeta-vm2',
      'table inet vmmeta-vm2',
    ])
      assert.ok(rules.includes(t), `${t} missing:\n${rules}`);
  });

  it("each guest reaches only its own VM, over IPv4 and fe80::a9fe:a9fe; the other VM's port is refused", () => {
    assert.equal(curlFrom(guests.vm1!, 'http://169.254.169.254/latest/meta-data/instance-id'), 'i-vm1');
    assert.equal(curlFrom(guests.vm2!, 'http://169.254.169.254/latest/meta-data/instance-id'), 'i-vm2');
    assert.equal(curlFrom(guests.vm1!, 'http://[fe80::a9fe:a9fe%25eth0]/latest/meta-data/instance-id'), 'i-vm1');
    assert.equal(curlFrom(guests.vm2!, 'http://[fe80::a9fe:a9fe%25eth0]/latest/meta-data/instance-id'), 'i-vm2');
    assert.equal(curlFrom(guests.vm1!, 'http://169.254.169.254:8802/latest/meta-data/instance-id'), 'FAILED(7)');
    assert.equal(curlFrom(guests.vm2!, 'http://169.254.169.254:8801/latest/meta-data/instance-id'), 'FAILED(7)');
    // Control: with vm2's port guard gone the direct path opens, so the refusal was the rules' doing.
    ns.sh('nft flush chain inet vmmeta-vm2 input');
    assert.equal(curlFrom(guests.vm1!, 'http://169.254.169.254:8802/latest/meta-data/instance-id'), 'i-vm2');
  });

  it('inspect shows the path live: the tap on its bridge, the rules matching or not, requests through the tap', () => {
    const one = json(ns.vmmeta(root, ['inspect', 'vm1', '--json'])).tapPath as Record<string, unknown>;
    assert.deepEqual(one.tap, { exists: true, up: true, master: 'br0' });
    assert.equal(one.rules, 'match');
    assert.equal(one.requestsViaTap, 2, 'the IPv4 and IPv6 GETs from guest 1');
    const two = json(ns.vmmeta(root, ['inspect', 'vm2', '--json']));
    assert.equal((two.tapPath as { rules: string }).rules, 'different', 'its input chain was flushed');
    assert.ok(
      (two.warnings as Array<{ code: string; hint: string }>).some(
        (w) => w.code === 'tap-rules' && w.hint === 'vmmeta start vm2',
      ),
      JSON.stringify(two.warnings),
    );
    ns.sh('ip link set tap-vm2 nomaster');
    const moved = json(ns.vmmeta(root, ['inspect', 'vm2', '--json']));
    assert.ok(
      (moved.warnings as Array<{ code: string; message: string }>).some(
        (w) => w.code === 'tap-bridge' && w.message === 'tap tap-vm2 is on no bridge, not br0',
      ),
      JSON.stringify(moved.warnings),
    );
    ns.sh('ip link set tap-vm2 master br0');
    assert.match(
      ns.vmmeta(root, ['inspect', 'vm1']).stdout,
      /Tap path\n\s+tap:\s+tap-vm1 up, on br0\n\s+rules:\s+tables vmmeta-vm1 loaded, match port 8801/,
    );
  });

  it('start and a no-op create put missing or damaged rules back, and keep intact ones', () => {
    const r = ns.vmmeta(root, ['start', 'vm2', '--json']);
    ok(r);
    assert.equal(json(r).rules, 'installed', 'the flushed input chain is a mismatch');
    assert.equal(curlFrom(guests.vm1!, 'http://169.254.169.254:8802/latest/meta-data/instance-id'), 'FAILED(7)');
    ns.sh('nft delete table inet vmmeta-vm1; nft delete table bridge vmmeta-vm1');
    const again = ns.vmmeta(root, ['create', join(root, 'vm1.yaml'), '--json']);
    ok(again);
    assert.equal(json(again).action, 'unchanged');
    assert.equal(json(again).rules, 'installed');
    assert.equal(curlFrom(guests.vm1!, 'http://169.254.169.254/latest/meta-data/instance-id'), 'i-vm1');
    const kept = ns.vmmeta(root, ['start', 'vm1', '--json']);
    ok(kept);
    assert.equal(json(kept).rules, 'kept');
  });

  it('update swaps the rules in one step: a new tap keeps the recorded port', () => {
    const moved = vethGuest(ns, 'tap-vm1b', '192.0.2.13');
    writeFileSync(join(root, 'vm1.yaml'), spec('vm1', 'tap-vm1b'));
    const r = ns.vmmeta(root, ['update', 'vm1', join(root, 'vm1.yaml'), '--json']);
    ok(r);
    assert.deepEqual((stateOf(root, 'vm1').outputs as { tap: unknown }).tap, {
      device: 'tap-vm1b',
      bridge: 'br0',
      port: 8801,
    });
    const rules = ns.sh('nft list table bridge vmmeta-vm1');
    assert.ok(rules.includes('"tap-vm1b"') && !rules.includes('"tap-vm1"'), rules);
    assert.equal(curlFrom(moved, 'http://169.254.169.254/latest/meta-data/instance-id'), 'i-vm1');
    // Nothing listens on the host's port 80: without vm1's DNAT the old tap is simply refused.
    assert.equal(
      curlFrom(guests.vm1!, 'http://169.254.169.254/latest/meta-data/instance-id'),
      'FAILED(7)',
      'the old tap no longer leads to vm1',
    );
  });

  it("delete removes each VM's tables: the ruleset is as before the first create", () => {
    ok(ns.vmmeta(root, ['delete', 'vm1']));
    ok(ns.vmmeta(root, ['delete', 'vm2']));
    assert.equal(ns.ruleset(), before0);
  });
});
