// The commands around create: render (disk trees, 0600 user-data), explain (spec vs created VM), libvirt patch
// (validated by libvirt's own virt-xml-validate), doctor, --listen, progress and colour conventions.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { vmmeta, json, tempRoot, cleanupRoot, writeSpec, modeOf, EXAMPLES } from '../helpers/cli.js';

const root = tempRoot();
const work = tempRoot('vmwork-');
after(async () => {
  await cleanupRoot(root);
  await cleanupRoot(work);
});

test('render writes every format under its own folder; user-data files are 0600, others 0644', async () => {
  const out = join(work, 'rendered');
  const r = await vmmeta(['render', join(EXAMPLES, 'minimal.yaml'), '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = json<{ files: Array<{ path: string; mode: string }> }>(r);
  assert.ok(doc.files.length > 20);
  for (const f of [
    'openstack/openstack/latest/meta_data.json',
    'nocloud/meta-data',
    'configdrive/openstack/latest/meta_data.json',
    'ec2/2009-04-04/meta-data/instance-id',
  ]) {
    assert.ok(existsSync(join(out, f)), f);
  }
  assert.equal(modeOf(join(out, 'nocloud/user-data')), '0600');
  assert.equal(modeOf(join(out, 'openstack/openstack/latest/user_data')), '0600');
  assert.equal(modeOf(join(out, 'nocloud/meta-data')), '0644');
  assert.ok(doc.files.every((f) => f.mode === modeOf(f.path)));
  const one = join(work, 'nocloud-only');
  assert.equal((await vmmeta(['render', join(EXAMPLES, 'minimal.yaml'), '--out', one, '--format', 'nocloud'])).code, 0);
  assert.ok(existsSync(join(one, 'meta-data')) && existsSync(join(one, 'user-data')));
  const bad = await vmmeta(['render', join(EXAMPLES, 'minimal.yaml'), '--out', one, '--format', 'xml']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /argument 'xml' is invalid/);
});

test('explain: the CD makes NoCloud win; --suppress-nocloud makes OpenStack win; a created VM is explained live', async () => {
  const spec = join(EXAMPLES, 'minimal.yaml');
  const withCd = json<{ predicted: string; reasons: string[] }>(await vmmeta(['explain', spec, '--json'], { root }));
  assert.equal(withCd.predicted, 'NoCloud');
  assert.ok(withCd.reasons.some((r) => /cidata/.test(r)));
  const without = await vmmeta(['explain', spec, '--suppress-nocloud'], { root });
  assert.equal(without.code, 0);
  assert.match(without.stdout, /cloud-init will use DataSourceOpenStackLocal/);
  assert.equal((await vmmeta(['create', spec, '--suppress-nocloud'], { root })).code, 0);
  const vm = json<{ source: string; predicted: string; sidecar: boolean }>(
    await vmmeta(['explain', 'demo', '--json'], { root }),
  );
  assert.deepEqual([vm.source, vm.predicted, vm.sidecar], ['vm', 'OpenStackLocal', true]);
  assert.equal((await vmmeta(['stop', 'demo'], { root })).code, 0);
  const stopped = json<{ predicted: string; sidecar: boolean }>(await vmmeta(['explain', 'demo', '--json'], { root }));
  assert.deepEqual([stopped.predicted, stopped.sidecar], ['None', false]);
  assert.equal((await vmmeta(['explain', 'no-such-vm'], { root })).code, 3);
  assert.equal((await vmmeta(['explain', './no-such-file.yaml'], { root })).code, 2);
});

test('libvirt patch: sysinfo, uuid and CD-ROM go in, the rest stays byte for byte, libvirt validates it', async (t) => {
  await vmmeta(['create', writeSpec(work, 'lv'), '--no-start'], { root });
  const original =
    "<domain type='kvm'>\n  <!-- keep me -->\n  <name>lv</name>\n  <memory unit='MiB'>512</memory>\n  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n  </os>\n  <devices>\n    <disk type='file' device='disk'>\n      <source file='/var/lib/libvirt/images/lv.qcow2'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n  </devices>\n</domain>\n";
  const file = join(work, 'lv.xml');
  writeFileSync(file, original);
  // The default (connector) path cannot work under libvirt's spawn=deny sandbox: refused, with the way out.
  const refused = await vmmeta(['libvirt', 'patch', file, 'lv'], { root });
  assert.equal(refused.code, 2, refused.stdout);
  assert.match(refused.stderr, /guestfwd connector, which spawns socat .* -sandbox spawn=deny/);
  assert.match(refused.stderr, /hint: use the tap path: set sidecar\.path: tap .*bridge: virbr0.*--allow-spawn/);
  assert.equal(refused.stdout, '');
  const printed = await vmmeta(['libvirt', 'patch', file, 'lv', '--allow-spawn'], { root });
  assert.equal(printed.code, 0, printed.stderr);
  assert.match(
    printed.stdout,
    /virtio-net-pci,netdev=vmmeta0,mac=[0-9a-f:]+,bus=pci\.0,addr=0x1f/,
    'the passthrough -device has its own PCI address',
  );
  const uuid = JSON.parse(readFileSync(join(root, 'lv', 'state.json'), 'utf8')).uuid as string;
  assert.match(printed.stdout, new RegExp(`<uuid>${uuid}</uuid>`));
  assert.match(printed.stdout, /<smbios mode='sysinfo'\/>/);
  assert.match(printed.stdout, /<entry name='product'>OpenStack Nova<\/entry>/);
  assert.match(printed.stdout, /cidata\.iso/);
  assert.match(printed.stdout, /<!-- keep me -->/);
  assert.equal(readFileSync(file, 'utf8'), original, 'without --in-place the input is untouched');
  assert.equal((await vmmeta(['libvirt', 'patch', file, 'lv', '--in-place', '--allow-spawn'], { root })).code, 0);
  assert.equal(readFileSync(file, 'utf8'), printed.stdout);
  if (spawnSync('virt-xml-validate', ['--help']).error) return t.skip('virt-xml-validate is not installed');
  const v = spawnSync('virt-xml-validate', [file, 'domain'], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr + v.stdout);
  assert.equal((await vmmeta(['libvirt', 'patch', file, 'lv', '--in-place', '--out', 'x'], { root })).code, 2);
});

test('doctor reports every check; a non-writable state root fails it with exit 1', async () => {
  const ok = await vmmeta(['doctor', '--json'], { root });
  const doc = json<{ checks: Array<{ name: string; status: string }> }>(ok);
  assert.deepEqual(
    doc.checks.map((c) => c.name),
    [
      'node',
      'qemu',
      'ISO tool',
      'libvirt validator',
      'socat',
      'kvm',
      'state root',
      'state root safety',
      'socket path',
      'loopback port',
    ],
  );
  assert.equal(ok.code, doc.checks.some((c) => c.status === 'fail') ? 1 : 0);
  assert.equal(doc.checks.find((c) => c.name === 'state root')!.status, 'ok');
  assert.equal(doc.checks.find((c) => c.name === 'state root safety')!.status, 'ok');
  if (process.getuid?.() === 0) return; // root writes anywhere
  const bad = await vmmeta(['doctor', '--state-dir', '/proc/vmmeta'], { root });
  assert.equal(bad.code, 1);
});

test("--listen replaces the spec's addresses; progress and colour never reach stdout under --json", async () => {
  const r = await vmmeta(
    ['create', writeSpec(work, 'listen'), '--listen', '127.0.0.1:0', '--listen', 'unix', '--json'],
    { root, env: { FORCE_COLOR: '1' } },
  );
  assert.equal(r.code, 0, r.stderr);
  const c = json<{ sidecar: { listen: Array<{ address: string }> } }>(r);
  assert.equal(c.sidecar.listen.length, 2);
  assert.doesNotMatch(r.stdout, /\u001b\[/);
  assert.deepEqual(JSON.parse(readFileSync(join(root, 'listen', 'state.json'), 'utf8')).outputs.listen, [
    '127.0.0.1:0',
    'unix',
  ]);
});
