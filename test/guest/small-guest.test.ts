// The small guest (Debian kernel + busybox initramfs) booted with the exact arguments `vmmeta create` wrote:
// it must see the spec's SMBIOS strings and uuid, its cidata CD when attached, and its own documents from its
// own sidecar through guestfwd — also when two VMs run at once.
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { smallGuest, type SmallGuest } from './lib/initramfs.js';
import { boot, killAllGuests } from './lib/qemu.js';
import { GuestReport } from './lib/report.js';
import { expectSmallGuest, type SmallSpec } from './lib/small-expect.js';
import { createVm, destroyVm, removeRoot, stateRoot, accessLog, type CreatedVm } from './lib/vmmeta.js';

// Real keys (the ones in templates/examples), so the spec passes vmmeta's key check.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINH3akpMqRH3qehL8mfiGrOE6UE5CRtB1AqhlQVU638q ops@example';
const ECDSA =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIyqWVNa4NnUeXmLtPMrrG2RI7UgAs6kSVXE01yW0U1zswyL0RaKndV/8f825Khm4UPBvQWXOf3v2sIjg/wsPmY= backup@example';

const SPEC_A: SmallSpec = {
  name: 'small-a',
  uuid: '3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10',
  hostname: 'small-a.example.net',
  sshKeys: [{ name: 'ops', key: ED25519 }],
  meta: { role: 'a' },
  smbios: {
    manufacturer: 'OpenStack Foundation',
    product: 'OpenStack Nova',
    version: 'vmmeta-test',
    serial: 'serial-a-0001',
    family: 'Virtual Machine',
    assetTag: 'OpenStack Nova',
  },
  datasource: { nocloud: 'cd' },
  network: {
    links: [{ id: 'eth0', type: 'physical', mac: '52:54:00:0a:00:01' }],
    networks: [{ link: 'eth0', type: 'ipv4_dhcp' }],
  },
};
const SPEC_B: SmallSpec = {
  name: 'small-b',
  uuid: '6f2c1d9e-0b7a-4c55-8e21-94d3a7b6c0de',
  hostname: 'small-b',
  sshKeys: [{ name: 'backup', key: ECDSA }],
  meta: { role: 'b' },
  smbios: {
    manufacturer: 'Example Cloud',
    product: 'OpenStack Compute',
    version: '29.0.1',
    serial: '6f2c1d9e-0b7a-4c55-8e21-94d3a7b6c0de',
    family: 'VM family, with comma',
  },
  datasource: { nocloud: 'none' },
  network: {
    links: [{ id: 'eth0', type: 'physical', mac: '52:54:00:0b:00:01' }],
    networks: [{ link: 'eth0', type: 'ipv4_dhcp' }],
  },
};

describe('small guest (busybox) booted with vmmeta create output', { timeout: 10 * 60_000 }, () => {
  let guest: SmallGuest;
  let root: string;
  const vms = new Map<string, CreatedVm>();
  const reports = new Map<string, GuestReport>();

  const run = async (spec: SmallSpec, label: string) => {
    const vm = vms.get(spec.name)!;
    const result = await boot({
      name: `small-${label}-${spec.name}`,
      vmArgs: vm.qemuArgs,
      kernel: guest.kernel.vmlinuz,
      initrd: guest.initrd,
      append: guest.append,
      memoryMb: 256,
      timeoutMs: 120_000,
      doneMarker: '=== GUEST DONE ===',
    });
    console.log(`# ${result.name}: ${(result.durationMs / 1000).toFixed(1)} s, serial log ${result.logPath}`);
    return new GuestReport(result);
  };

  before(async () => {
    const t = Date.now();
    guest = await smallGuest();
    console.log(
      `# kernel ${guest.kernel.version}, initramfs ready in ${((Date.now() - t) / 1000).toFixed(1)} s: ${guest.initrd}`,
    );
    root = await stateRoot();
    for (const spec of [SPEC_A, SPEC_B])
      vms.set(spec.name, await createVm(root, spec as unknown as Record<string, unknown>));
  });

  after(async () => {
    killAllGuests();
    for (const vm of vms.values()) await destroyVm(vm);
    if (root) await removeRoot(root);
  });

  it('the args carry the uuid, SMBIOS and the restricted metadata NIC (sanity check of what is booted)', () => {
    const args = vms.get('small-a')!.qemuArgs;
    assert.ok(
      args.includes('-uuid') && args[args.indexOf('-uuid') + 1] === SPEC_A.uuid,
      `no -uuid ${SPEC_A.uuid} in ${args.join(' ')}`,
    );
    assert.ok(
      args.some(
        (a) => a.startsWith('user,') && a.includes('restrict=on') && a.includes('guestfwd=tcp:169.254.169.254:80-cmd:'),
      ),
      'no restricted guestfwd netdev',
    );
  });

  it('one VM sees its SMBIOS strings, uuid, cidata CD and its own documents', { timeout: 150_000 }, async () => {
    const report = await run(SPEC_A, 'single');
    reports.set('a', report);
    expectSmallGuest(report, SPEC_A);
  });

  it('two VMs at once: each sees only its own SMBIOS and documents', { timeout: 200_000 }, async () => {
    const before = (await accessLog(vms.get('small-a')!)).length;
    const [a, b] = await Promise.all([run(SPEC_A, 'pair'), run(SPEC_B, 'pair')]);
    expectSmallGuest(a!, SPEC_A);
    expectSmallGuest(b!, SPEC_B);
    assert.notEqual((a!.json('meta_data') as { uuid: string }).uuid, (b!.json('meta_data') as { uuid: string }).uuid);
    // Each sidecar answered its own guest: both logs grew, by the three fetches each.
    const logA = (await accessLog(vms.get('small-a')!)).slice(before);
    const logB = await accessLog(vms.get('small-b')!);
    assert.ok(logA.length >= 3 && logB.length >= 3, `access logs: a=${logA.length} b=${logB.length}`);
  });

  it('a deliberately wrong expectation fails (the checks can fail)', () => {
    const report = reports.get('a');
    assert.ok(report, 'needs the single-VM boot');
    // A's guest checked against B's spec: the very first difference (product_name) must be reported.
    assert.throws(
      () => expectSmallGuest(report, SPEC_B),
      (e: Error) => {
        console.log(`# expected failure: ${e.message.split('\n')[0]}`);
        return e instanceof assert.AssertionError && /sys_vendor|product_name/.test(e.message);
      },
    );
    // And one wrong value in an otherwise right spec.
    assert.throws(() => expectSmallGuest(report, { ...SPEC_A, uuid: SPEC_B.uuid }), assert.AssertionError);
    assert.throws(() => expectSmallGuest(report, { ...SPEC_A, hostname: 'not-the-hostname' }), assert.AssertionError);
  });
});
