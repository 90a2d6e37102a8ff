// buildPlan, the pure heart of `create` and `update`, over fixed ids: what it would write (paths and modes), the
// argv and XML it would hand to the hypervisor, and the outputs it records, with no file or process touched.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildPlan, type Plan } from '../../../src/vm/plan.js';
import { vmPaths } from '../../../src/state/paths.js';
import type { SpecInput } from '../../../src/spec/schema.js';
import { resolve, ED25519, CLOUD_CONFIG, FIXED_UUID } from '../../helpers/vm-fixtures.js';

const paths = vmPaths('/var/lib/vmmeta', 'web-1');

function plan(input: SpecInput, overrides = {}): Plan {
  return buildPlan({ text: `name: ${input.name}\n`, vm: resolve(input, CLOUD_CONFIG), raw: input }, overrides, paths);
}

const minimal: SpecInput = { name: 'web-1', sshKeys: [{ name: 'ops', key: ED25519 }] };
const modes = (p: Plan) =>
  Object.fromEntries(
    [...p.files].filter(([f]) => !f.startsWith('meta/')).map(([f, { mode }]) => [f, mode.toString(8)]),
  );

test('the default plan: OpenStack SMBIOS, the cidata CD, a guestfwd NIC on the VM socket, secrets 0600', () => {
  const p = plan(minimal);
  assert.deepEqual(modes(p), {
    'spec.yaml': '600',
    'served.json': '600',
    'smbios.txt': '644',
    'qemu-args.txt': '644',
    'qemu-args.sh': '644',
    'qemu-args.json': '644',
    'domain.xml': '644',
    'sysinfo.xml': '644',
  });
  const sensitive = [...p.files].filter(([f]) => f.startsWith('meta/') && /user_data|user-data|vendor/.test(f));
  assert.ok(sensitive.length > 0);
  for (const [f, { mode }] of sensitive) assert.equal(mode, 0o600, `${f} is readable by others`);
  assert.equal(p.vm.uuid, FIXED_UUID);
  assert.ok(
    p.qemuArgs.some(
      (a) => a.startsWith('type=1,') && a.includes('product=OpenStack Nova') && a.includes(`uuid=${FIXED_UUID}`),
    ),
    p.qemuArgs.join(' '),
  );
  assert.ok(
    p.qemuArgs.some((a) => a.includes(`file=${paths.cidataIso}`)),
    'the CD is attached',
  );
  assert.deepEqual(p.outputs.cdrom, { path: paths.cidataIso, bus: 'ide' });
  assert.ok(p.outputs.guestfwd?.includes(paths.sidecarSock), `guestfwd: ${p.outputs.guestfwd}`);
  assert.ok(p.qemuArgs.includes(`unix:${paths.qmpSock},server=on,wait=off`), 'a QMP socket for nic add/remove');
  assert.equal(p.outputs.tap, undefined);
  assert.ok(p.isos.cidata?.has('user-data') && p.isos.cidata.has('meta-data'));
  assert.equal(p.verdict.winner, 'NoCloud');
  assert.deepEqual(p.settings.nocloud, { value: 'cd', source: 'default' });
});

test('the same input plans the same bytes; an override changes the plan and its hash', () => {
  const a = plan(minimal);
  const b = plan(minimal);
  assert.equal(a.specHash, b.specHash);
  assert.deepEqual([...a.files.keys()], [...b.files.keys()]);
  for (const [f, { data }] of a.files) assert.deepEqual(data, b.files.get(f)!.data, f);

  const suppressed = plan(minimal, { nocloud: 'none' });
  assert.notEqual(suppressed.specHash, a.specHash);
  assert.equal(suppressed.outputs.cdrom, null);
  assert.equal(suppressed.isos.cidata, undefined);
  assert.ok(!suppressed.qemuArgs.some((a) => a.includes('cidata')), 'no CD');
  assert.equal(suppressed.verdict.winner, 'OpenStackLocal');
  assert.deepEqual(suppressed.settings.nocloud, { value: 'none', source: 'flag' });
  assert.deepEqual(suppressed.overrides, { nocloud: 'none' });
});

test('tap mode: a plain tap NIC with the first MAC, the metadata addresses on the recorded port, no user-mode NIC', () => {
  const input: SpecInput = {
    ...minimal,
    network: {
      links: [{ id: 'eth0', type: 'physical', mac: '52:54:00:12:34:56' }],
      networks: [{ link: 'eth0', type: 'ipv4_dhcp' }],
    },
    sidecar: { path: 'tap', tap: { device: 'tap-web', bridge: 'br0', port: 8801 } },
  } as SpecInput;
  const p = plan(input);
  assert.deepEqual(p.outputs.tap, { device: 'tap-web', bridge: 'br0', port: 8801 });
  assert.equal(p.outputs.guestfwd, null);
  assert.ok(p.outputs.listen.includes('169.254.169.254:8801'), `listen: ${p.outputs.listen.join(' ')}`);
  assert.ok(
    p.qemuArgs.some((a) => /^tap,id=vmmeta0,ifname=tap-web,script=no,downscript=no/.test(a)),
    p.qemuArgs.join(' '),
  );
  assert.ok(p.qemuArgs.some((a) => a.includes('netdev=vmmeta0') && a.includes('mac=52:54:00:12:34:56')));
  assert.ok(!p.qemuArgs.some((a) => a.startsWith('user,')), 'no user-mode NIC');
  const xml = String(p.files.get('domain.xml')!.data);
  assert.match(xml, /<interface type='bridge'>[\s\S]*<source bridge='br0'\/>[\s\S]*<target dev='tap-web'\/>/);
  assert.match(xml, /<mac address='52:54:00:12:34:56'\/>/);
  assert.doesNotMatch(xml, /qemu:commandline/);
});

test('tap mode without a chosen port is a programming error, not a plan', () => {
  const input = { ...minimal, sidecar: { path: 'tap', tap: { device: 'tap-web' } } } as SpecInput;
  assert.throws(() => plan(input), /planned without a port/);
});
