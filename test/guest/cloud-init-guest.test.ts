// Debian's real cloud-init, booted from a debootstrap image with the exact QEMU arguments `vmmeta create`
// wrote. Default: bookworm. VMMETA_GUEST_SUITES=bullseye,bookworm,trixie,sid (npm run test:matrix) runs every
// generation (and sid: 26.2); `suite:boot+boot` runs only those boots of a suite. Guests run one after another: two TCG boots at once on two cores slow both down past usefulness.
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { SUITES, SUITE_CLOUD_INIT, type Suite } from '../helpers/cloud-init.js';
import { debianImage, REPORT_DEADLINE, type DebianImage } from './lib/debian-image.js';
import { boot, killAllGuests } from './lib/qemu.js';
import { cloudInitComplaints } from './lib/cloud-init-complaints.js';
import { parseCloudInitReport, nicByMac, type CloudInitReport } from './lib/cloud-init-report.js';
import { createVm, destroyVm, removeRoot, stateRoot, accessLog, type CreatedVm } from './lib/vmmeta.js';
import { PINNED, guestSpec, ec2OnlySpec, staticStanza, SECOND_NIC, KEY } from './lib/cloud-init-setups.js';
import { nocloudSeedName } from '../../src/hypervisor/smbios.js';

// Each entry is a suite, optionally narrowed to some of its boots: `sid:openstack+ec2-only` (see SETUPS).
const SETUPS = ['nocloud-cd', 'openstack', 'ec2-only', 'nocloud-net', 'config-drive'] as const;
type Setup = (typeof SETUPS)[number];
const selection = new Map<Suite, Set<Setup>>();
for (const entry of (process.env.VMMETA_GUEST_SUITES ?? 'bookworm')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)) {
  const [suite, only] = entry.split(':') as [Suite, string | undefined];
  if (!SUITES.includes(suite))
    throw new Error(`VMMETA_GUEST_SUITES: unknown suite ${suite} (known: ${SUITES.join(', ')})`);
  const setups = only ? only.split('+') : [...SETUPS];
  for (const s of setups)
    if (!SETUPS.includes(s as Setup))
      throw new Error(`VMMETA_GUEST_SUITES: unknown boot ${s} in ${entry} (known: ${SETUPS.join(', ')})`);
  selection.set(suite, new Set(setups as Setup[]));
}

// The report unit gives up at the image's deadline (300 s of guest uptime, sid 450 s; a trixie boot reached 190 s
// on this shared two-core host); booting to userspace and printing the report take up to a minute more under load.
const bootTimeoutMs = (suite: Suite) => (REPORT_DEADLINE[suite] + 60) * 1000;

for (const [suite, setups] of selection) {
  const boots = (setup: Setup) => (setups.has(setup) ? it : () => undefined) as typeof it;
  describe(
    `cloud-init ${SUITE_CLOUD_INIT[suite]} (${suite}) guest booted with vmmeta create output`,
    { timeout: 30 * 60_000 },
    () => {
      let image: DebianImage;
      let root: string;
      const vms: CreatedVm[] = [];
      const pin = PINNED[suite];

      // expected: complaints this generation is pinned to make in this mode (each must appear, nothing else may).
      const run = async (
        vm: CreatedVm,
        label: string,
        extraArgs: string[] = [],
        expected: RegExp[] = [],
      ): Promise<CloudInitReport> => {
        const result = await boot({
          name: `cloud-init-${suite}-${label}`,
          vmArgs: vm.qemuArgs,
          kernel: image.kernel,
          initrd: image.initrd,
          append: image.append,
          rootDisk: image.disk,
          memoryMb: 1024,
          extraArgs,
          timeoutMs: bootTimeoutMs(suite),
          doneMarker: '=== GUEST DONE ===',
        });
        const report = parseCloudInitReport(result);
        console.log(
          `# ${result.name}: ${(result.durationMs / 1000).toFixed(1)} s wall, guest uptime ${report.uptime} s, ${report.datasourceLine || 'no datasource'}; serial log ${result.logPath}`,
        );
        // No vmmeta mode may make cloud-init warn or deprecate anything (the image's own OpenSSH lines aside).
        const complaints = cloudInitComplaints(report);
        assert.deepEqual(
          complaints.filter((c) => !expected.some((e) => e.test(c))),
          [],
          `cloud-init complained${report.report.where()}`,
        );
        for (const e of expected)
          assert.ok(
            complaints.some((c) => e.test(c)),
            `pinned complaint ${e} not seen: ${complaints.join(' | ')}${report.report.where()}`,
          );
        return report;
      };

      // The metadata reached the guest: its hostname set, the spec's key installed.
      const assertIdentity = (r: CloudInitReport, hostname: string) => {
        assert.equal(r.hostname, hostname, `hostname${r.report.where()}`);
        assert.ok(
          r.keys.some((k) => k.endsWith(KEY)),
          `ssh key not installed: ${r.keys.join(' | ')}${r.report.where()}`,
        );
      };

      // What `vmmeta create --json` predicted (datasource.predicted) is the datasource the guest used.
      const assertPredicted = (vm: CreatedVm, r: CloudInitReport) => {
        const predicted = (vm.output as { datasource?: { predicted?: string } }).datasource?.predicted;
        assert.equal(`DataSource${predicted}`, r.datasource, 'vmmeta predicted');
      };

      const guestRequests = async (vm: CreatedVm) =>
        (await accessLog(vm)).filter((r) => !String(r.path).includes('vmmeta=probe'));

      before(async () => {
        const t = Date.now();
        image = await debianImage(suite);
        console.log(
          `# ${suite} image ${image.buildSeconds ? `built in ${image.buildSeconds} s` : 'cached'} (${((Date.now() - t) / 1000).toFixed(1)} s): ${image.disk}`,
        );
        root = await stateRoot();
      });

      after(async () => {
        killAllGuests();
        for (const vm of vms) await destroyVm(vm);
        if (root) await removeRoot(root);
      });

      boots('nocloud-cd')(
        'OpenStack SMBIOS + cidata CD: NoCloud wins and the metadata service is not asked',
        { timeout: bootTimeoutMs(suite) + 60_000 },
        async () => {
          const spec = guestSpec(suite, 'cd');
          const vm = await createVm(root, spec);
          vms.push(vm);
          const r = await run(vm, 'nocloud-cd', SECOND_NIC.args);
          assert.equal(r.datasource, 'DataSourceNoCloud', `datasource: ${r.datasourceLine}${r.report.where()}`);
          assert.equal(r.datasourceDetail, pin.nocloudDetail, `NoCloud detail${r.report.where()}`);
          assert.equal(r.cloudId, 'nocloud', `cloud-id${r.report.where()}`);
          assertIdentity(r, spec.hostname);
          const paths = (await guestRequests(vm)).map((q) => q.path);
          assert.deepEqual(paths, [], `the metadata service was asked: ${paths.join(' ')}`);
          // vmmeta's NoCloud network-config (v2) describes the second NIC too, and its set-name renames the NICs to
          // the spec's link ids in every generation.
          const second = nicByMac(r, SECOND_NIC.mac);
          assert.deepEqual(second?.ipv4, [SECOND_NIC.cidr], `second NIC: ${JSON.stringify(r.nics)}${r.report.where()}`);
          assert.equal(second?.name, 'eth1', `second NIC name${r.report.where()}`);
          assert.match(
            r.networkConfig,
            staticStanza(pin.renderer, 'eth1'),
            `network configuration written${r.report.where()}`,
          );
          assert.equal(
            (vm.output as { datasource?: { predicted?: string } }).datasource?.predicted,
            'NoCloud',
            'vmmeta explain/create predicted',
          );
        },
      );

      boots('openstack')(
        '--suppress-nocloud: OpenStack wins, hostname, key and a second NIC from network_data.json',
        { timeout: bootTimeoutMs(suite) + 60_000 },
        async () => {
          const spec = guestSpec(suite, 'suppressed');
          const vm = await createVm(root, spec, ['--suppress-nocloud']);
          vms.push(vm);
          assert.ok(!vm.qemuArgs.some((a) => a.includes('cidata')), 'the CD is still attached');
          const r = await run(vm, 'openstack', SECOND_NIC.args);
          assert.match(
            r.datasource ?? '',
            /^DataSourceOpenStack(Local)?$/,
            `datasource: ${r.datasourceLine}${r.report.where()}`,
          );
          assert.equal(r.datasourceDetail, '[net,ver=2]', `OpenStack detail${r.report.where()}`);
          assert.equal(r.cloudId, 'openstack', `cloud-id${r.report.where()}`);
          assertIdentity(r, spec.hostname);
          const second = nicByMac(r, SECOND_NIC.mac);
          assert.deepEqual(
            second?.ipv4,
            [SECOND_NIC.cidr],
            `second NIC (only in network_data.json): ${JSON.stringify(r.nics)}${r.report.where()}`,
          );
          // network_data.json names no interface: the kernel's predictable name stays.
          assert.match(
            r.networkConfig,
            staticStanza(pin.renderer, second!.name),
            `network configuration written${r.report.where()}`,
          );
          const paths = (await guestRequests(vm)).map((q) => String(q.path));
          assert.ok(
            paths.some((p) => /^\/openstack\/[^/]+\/meta_data\.json$/.test(p)),
            `no meta_data.json request: ${paths.join(' ')}`,
          );
          assert.ok(
            paths.some((p) => /^\/openstack\/[^/]+\/network_data\.json$/.test(p)),
            `no network_data.json request: ${paths.join(' ')}`,
          );
          const counts = new Map<string, number>();
          for (const p of paths) counts.set(p, (counts.get(p) ?? 0) + 1);
          assert.equal(
            paths.some((p) => p.endsWith('/vendor_data2.json')),
            pin.vendorData2,
            `vendor_data2.json asked: ${paths.join(' ')}`,
          );
          console.log(
            `# ${suite} OpenStack boot: ${paths.length} requests to the sidecar: ${[...counts].map(([p, n]) => (n > 1 ? `${p} x${n}` : p)).join(', ')}`,
          );
          // vmmeta's verdict names the stage too; with the sidecar up before the boot the local stage wins.
          assertPredicted(vm, r);
        },
      );

      boots('ec2-only')(
        'plain SMBIOS + EC2-only spec: pinned behaviour (ds-identify disables cloud-init)',
        { timeout: bootTimeoutMs(suite) + 60_000 },
        async () => {
          const spec = ec2OnlySpec(suite);
          const vm = await createVm(root, spec);
          vms.push(vm);
          const r = await run(vm, 'ec2-only');
          assert.equal(r.enabled, pin.ec2Only.enabled, `cloud-init ${r.enabled}${r.report.where()}`);
          assert.equal(r.datasource, pin.ec2Only.datasource, `datasource: ${r.datasourceLine}${r.report.where()}`);
          assert.match(r.cloudId, pin.ec2Only.cloudId, `cloud-id${r.report.where()}`);
          assert.equal(r.hostname, pin.ec2Only.hostname, `hostname${r.report.where()}`);
          assert.deepEqual(
            nicByMac(r, spec.network.links[0]!.mac)?.ipv4 ?? [],
            pin.ec2Only.ipv4,
            `NIC${r.report.where()}`,
          );
          assert.equal((await guestRequests(vm)).length, pin.ec2Only.requests, 'requests to the sidecar');
          // vmmeta predicts "no datasource" (null) exactly when the guest's ds-identify disabled cloud-init.
          const predicted = (vm.output as { datasource?: { predicted?: string | null } }).datasource?.predicted;
          assert.equal(predicted ?? null, pin.ec2Only.datasource, 'vmmeta predicted');
        },
      );

      boots('nocloud-net')(
        'datasource.nocloud net: the serial, in the form this generation reads, seeds NoCloudNet from the sidecar',
        { timeout: bootTimeoutMs(suite) + 60_000 },
        async () => {
          const spec = { ...guestSpec(suite, 'net'), datasource: { nocloud: 'net' } };
          const vm = await createVm(root, spec);
          vms.push(vm);
          assert.ok(!vm.qemuArgs.some((a) => a.includes('cidata')), 'no CD in nocloud: net');
          const seed = `serial=${nocloudSeedName(SUITE_CLOUD_INIT[suite])};s=http://169.254.169.254/nocloud/`;
          assert.ok(
            vm.qemuArgs.some((a) => a.includes(seed)),
            `${seed} not in the SMBIOS args: ${vm.qemuArgs.join(' ')}`,
          );
          const r = await run(vm, 'nocloud-net', SECOND_NIC.args, pin.nocloudNet.complaints);
          assert.equal(r.datasource, 'DataSourceNoCloudNet', `datasource: ${r.datasourceLine}${r.report.where()}`);
          assert.equal(r.datasourceDetail, pin.nocloudNet.detail, `NoCloudNet detail${r.report.where()}`);
          assert.equal(r.cloudId, 'nocloud', `cloud-id${r.report.where()}`);
          assertIdentity(r, spec.hostname);
          const paths = (await guestRequests(vm)).map((q) => String(q.path));
          for (const f of ['meta-data', 'user-data'])
            assert.ok(paths.includes(`/nocloud/${f}`), `/nocloud/${f} not asked: ${paths.join(' ')}`);
          console.log(`# ${suite} nocloud-net boot: ${paths.length} requests to the sidecar: ${paths.join(', ')}`);
          // The seed is fetched in init-network, after init-local brought up the fallback (DHCP on the first NIC).
          // From 24.1 the seed's network-config configures the second NIC too, by MAC and under the kernel's name.
          assert.ok(nicByMac(r, spec.network.links[0]!.mac)?.ipv4.length, `first NIC: ${JSON.stringify(r.nics)}`);
          const second = nicByMac(r, SECOND_NIC.mac);
          assert.deepEqual(
            second?.ipv4 ?? [],
            pin.nocloudNet.secondNic ? [SECOND_NIC.cidr] : [],
            `second NIC: ${JSON.stringify(r.nics)}${r.report.where()}`,
          );
          if (pin.nocloudNet.secondNic)
            assert.doesNotMatch(r.networkConfig, /set-name/, `no rename in nocloud: net${r.report.where()}`);
          assertPredicted(vm, r);
        },
      );

      boots('config-drive')(
        'config drive (config-2 attached, no CD): ConfigDrive wins in init-local with hostname, key and the second NIC',
        { timeout: bootTimeoutMs(suite) + 60_000 },
        async () => {
          const spec = { ...guestSpec(suite, 'drive'), datasource: { nocloud: 'none', configDrive: true } };
          const vm = await createVm(root, spec);
          vms.push(vm);
          // vmmeta writes the drive; attaching it is the operator's (docs/hypervisor.md), here as Nova does on pc.
          const drive = [
            '-drive',
            `file=${vm.dir}/config-2.iso,format=raw,if=none,id=config2,media=cdrom,readonly=on`,
            '-device',
            'ide-cd,drive=config2',
          ];
          const r = await run(vm, 'config-drive', [...SECOND_NIC.args, ...drive]);
          assert.equal(r.datasource, 'DataSourceConfigDrive', `datasource: ${r.datasourceLine}${r.report.where()}`);
          assertIdentity(r, spec.hostname);
          const second = nicByMac(r, SECOND_NIC.mac);
          assert.deepEqual(
            second?.ipv4,
            [SECOND_NIC.cidr],
            `second NIC (the drive's network_data.json): ${JSON.stringify(r.nics)}${r.report.where()}`,
          );
          const paths = (await guestRequests(vm)).map((q) => String(q.path));
          assert.deepEqual(paths, [], `the metadata service was asked: ${paths.join(' ')}`);
          console.log(`# ${suite} config-drive boot: ${r.datasourceLine}; cloud-id ${r.cloudId}`);
          assertPredicted(vm, r);
        },
      );
    },
  );
}
