// A Debian bookworm cloud-init guest (22.4) started by a real libvirtd with Debian's defaults from the starter
// domain.xml `vmmeta create` wrote (q35, tap mode, NoCloud suppressed), with vmmeta's qemu hook starting the
// sidecar. It must pick OpenStack and apply the hostname, the key and both NICs from network_data.json, with no
// cloud-init complaint and no taint. The test changes the domain only as forTest() says (TCG, a direct kernel
// boot from a qcow2 overlay on the cached image, the serial log) and puts the second NIC, which the starter
// domain leaves on libvirt's `default` network, on the test's bridge.
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { debianImage, REPORT_DEADLINE, type DebianImage } from './lib/debian-image.js';
import { parseCloudInitReport, nicByMac } from './lib/cloud-init-report.js';
import { cloudInitComplaints } from './lib/cloud-init-complaints.js';
import { KEY, SECOND_NIC, guestSpec } from './lib/cloud-init-setups.js';
import { accessLog, type CreatedVm } from './lib/vmmeta.js';
import { libvirtLab, assertStockDefaults, type LibvirtLab } from './lib/libvirt-lab.js';
import { forTest } from './lib/libvirt-domain.js';

const SUITE = 'bookworm';
const BRIDGE = 'vmm14cbr';
// The plain-QEMU OpenStack guest's spec (two links: DHCP on the first, a static address on the second), on this
// test's tap and bridge, with its own name and uuid.
const spec = {
  ...guestSpec(SUITE, 'suppressed'),
  name: 'lv-debian',
  uuid: '7c1e2f3a-4b5c-4d6e-8f70-000000000301',
  hostname: 'vmmeta-libvirt-bookworm',
  datasource: { nocloud: 'none' },
  sidecar: { path: 'tap', tap: { device: 'tap-lv-deb', bridge: BRIDGE, port: 18830 } },
};
const SECOND = SECOND_NIC;

describe(`libvirt: a Debian ${SUITE} cloud-init guest from vmmeta's starter domain`, { timeout: 15 * 60_000 }, () => {
  let lab: LibvirtLab;
  let image: DebianImage;
  let vm: CreatedVm | undefined;

  before(async () => {
    image = await debianImage(SUITE);
    lab = await libvirtLab('cloudinit', BRIDGE);
  });
  after(() => {
    if (vm) lab?.cli(['stop', vm.name]);
    lab?.close();
  });

  it(
    'q35 under Debian defaults: OpenStack wins; hostname, key and both NICs applied; no complaint, no taint',
    { timeout: (REPORT_DEADLINE[SUITE] + 180) * 1000 },
    async () => {
      vm = await lab.createVm(spec);
      // Private copies, as for the small guest: dynamic ownership relabels what the domain opens (the backing
      // image too), and libvirt-qemu must reach them, where the test cache may be a 0700 folder (mktemp -d).
      const kernel = join(lab.lv.dir, 'debian-vmlinuz');
      const initrd = join(lab.lv.dir, 'debian-initrd');
      for (const [from, to] of [
        [image.kernel, kernel],
        [image.initrd, initrd],
      ] as const) {
        copyFileSync(from, to);
        chmodSync(to, 0o644);
      }
      const base = join(lab.lv.dir, 'debian-base.raw');
      execFileSync('cp', ['--sparse=always', image.disk, base]); // ~1 GB of a sparse 4 GB file: seconds
      chmodSync(base, 0o644);
      const disk = join(lab.lv.dir, 'debian.qcow2');
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', base, disk]);
      const starter = readFileSync(join(vm.dir, 'domain.xml'), 'utf8');
      const onDefault = /<interface type='network'>\n(\s*)<source network='default'\/>/;
      assert.match(starter, onDefault, 'the starter domain puts the second link on the default network');
      const xml = forTest(starter.replace(onDefault, `<interface type='bridge'>\n$1<source bridge='${BRIDGE}'/>`), {
        kernel,
        initrd,
        append: image.append,
        machine: 'q35',
        serialLog: lab.serialLog(vm.name),
        disk,
        memoryMiB: 1024,
      });
      lab.define(vm.name, xml);
      const t = Date.now();
      const st = lab.lv.virsh(['start', vm.name]);
      assert.equal(st.status, 0, `virsh start: ${st.stderr}`);
      const log = await lab.waitSerial(vm.name, '=== GUEST DONE ===', (REPORT_DEADLINE[SUITE] + 60) * 1000);
      const durationMs = Date.now() - t;
      // The report unit powers the guest off (on_poweroff: destroy); the logs are complete once libvirt says so.
      await lab.waitShutOff(vm.name);
      const logPath = lab.saveLogs(vm.name, log, durationMs);
      const r = parseCloudInitReport({
        name: `libvirt-${vm.name}`,
        log: (log || lab.lv.readPrivate(lab.serialLog(vm.name))).replaceAll('\r\n', '\n'),
        durationMs,
        exitCode: 0,
        timedOut: !log,
        logPath,
        argv: [],
      });
      console.log(`# ${vm.name}: guest uptime ${r.uptime} s, ${r.datasourceLine || 'no datasource'}`);
      assert.match(r.datasource ?? '', /^DataSourceOpenStack(Local)?$/, `datasource${r.report.where()}`);
      assert.equal(r.cloudId, 'openstack', `cloud-id${r.report.where()}`);
      assert.equal(r.hostname, spec.hostname, `hostname${r.report.where()}`);
      assert.ok(
        r.keys.some((k) => k.endsWith(KEY)),
        `ssh key not installed${r.report.where()}`,
      );
      const first = nicByMac(r, spec.network.links[0]!.mac);
      assert.match(first?.ipv4.join(' ') ?? '', /^169\.254\.169\.\d+\/24$/, `tap NIC lease${r.report.where()}`);
      assert.deepEqual(nicByMac(r, SECOND.mac)?.ipv4, [SECOND.cidr], `second NIC${r.report.where()}`);
      assert.deepEqual(cloudInitComplaints(r), [], `cloud-init complained${r.report.where()}`);
      assertStockDefaults(lab, vm.name);
      const paths = (await accessLog(vm)).map((q) => String(q.path));
      assert.ok(
        paths.some((p) => /^\/openstack\/[^/]+\/network_data\.json$/.test(p)),
        `no network_data.json request: ${paths.join(' ')}`,
      );
      assert.match(lab.lv.virsh(['domstate', vm.name]).stdout, /shut off/, 'the guest powered itself off');
    },
  );
});
