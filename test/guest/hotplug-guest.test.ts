// A NIC hot-plugged into a running Debian cloud-init guest through `vmmeta nic add` (QMP netdev_add +
// device_add, then network_data.json): cloud-init's hotplug hook (turned on by vmmeta's vendor data) brings it up
// with exactly the address from network_data.json, without a reboot; `vmmeta nic remove` unplugs it and drops
// the link; the guest then reboots and boots cleanly. Default: bookworm (22.4); VMMETA_HOTPLUG_SUITES=bookworm,trixie,sid
// (npm run test:hotplug-matrix) runs every generation that has hotplug. 20.4 has none (pinned in the unit tests).
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SUITES, SUITE_CLOUD_INIT, type Suite } from '../helpers/cloud-init.js';
import { debianImage, withReportDeadline } from './lib/debian-image.js';
import { killAllGuests } from './lib/qemu.js';
import { liveBoot, type LiveGuest } from './lib/live-boot.js';
import { GuestReport } from './lib/report.js';
import { parseCloudInitReport, nicByMac } from './lib/cloud-init-report.js';
import { createVm, destroyVm, removeRoot, stateRoot, vmmeta, accessLog, type CreatedVm } from './lib/vmmeta.js';
import { hotplugSpec, HOT_NIC, FIRST_MAC, HOTPLUG_RULE, REPORT_MASK } from './lib/hotplug-setup.js';
import { recordTiming } from '../helpers/timings.js';

const suites = (process.env.VMMETA_HOTPLUG_SUITES ?? 'bookworm')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean) as Suite[];
for (const s of suites)
  if (!SUITES.includes(s) || SUITE_CLOUD_INIT[s] === '20.4')
    throw new Error(`VMMETA_HOTPLUG_SUITES: ${s} is not a suite with hotplug (bookworm, trixie, sid)`);

// A first boot reached cloud-init's end at ~190 s of uptime on this host when idle, and past 450 s with five
// helpers' TCG guests on its two cores; the hook's own retries add up to ~49 s; the reboot is a second boot.
const READY_MS = 900_000;
const UP_MS = 240_000;
const REBOOT_MS = 900_000;

for (const suite of suites) {
  describe(
    `cloud-init ${SUITE_CLOUD_INIT[suite]} (${suite}): a NIC hot-plugged with vmmeta nic add`,
    { timeout: 45 * 60_000 },
    () => {
      let root: string;
      let vm: CreatedVm | undefined;
      let guest: LiveGuest | undefined;

      before(async () => {
        root = await stateRoot();
      });
      after(async () => {
        guest?.kill();
        killAllGuests();
        if (vm) await destroyVm(vm);
        if (root) await removeRoot(root);
      });

      const networkData = async () =>
        JSON.parse(await readFile(join(vm!.dir, 'meta/openstack/openstack/latest/network_data.json'), 'utf8')) as {
          links: Array<{ ethernet_mac_address: string }>;
          networks: Array<{ link: string; ip_address?: string; netmask?: string }>;
        };

      it(
        'comes up with the address from network_data.json without a reboot; nic remove unplugs it; the guest reboots cleanly',
        { timeout: 44 * 60_000 },
        async () => {
          const image = await debianImage(suite);
          vm = await createVm(root, hotplugSpec(suite));
          assert.ok(vm.qemuArgs.includes('-qmp'), `no -qmp in ${vm.qemuArgs.join(' ')}`);
          guest = liveBoot({
            name: `hotplug-${suite}`,
            vmArgs: vm.qemuArgs,
            kernel: image.kernel,
            initrd: image.initrd,
            append: `${withReportDeadline(image.append, 900)} ${REPORT_MASK}`,
            rootDisk: image.disk,
            memoryMb: 1024,
            timeoutMs: 43 * 60_000,
          });
          const booted = Date.now();
          const ready = await guest.waitFor(
            /=== HOTPLUG READY ([\d.]+) ===/,
            READY_MS,
            'the guest watcher (cloud-init finished)',
          );
          console.log(
            `# ${suite}: cloud-init done at guest uptime ${ready.match[1]} s (${((ready.at - booted) / 1000).toFixed(0)} s wall)`,
          );
          const linkBefore = (await networkData()).links.map((l) => l.ethernet_mac_address);
          assert.deepEqual(linkBefore, [FIRST_MAC]);

          // add: the device first, then the documents (the command returns once the sidecar serves them).
          const t0 = Date.now();
          const add = JSON.parse(
            (
              await vmmeta(root, [
                'nic',
                'add',
                '--json',
                vm.name,
                '--id',
                HOT_NIC.id,
                '--mac',
                HOT_NIC.mac,
                '--address',
                HOT_NIC.cidr,
              ])
            ).stdout,
          ) as { action: string; at: string; ms: { hypervisor: number; metadata: number } };
          assert.equal(add.action, 'added');
          const dev = await guest.waitFor(
            /=== HOTPLUG DEVICE (\S+) ([\d.]+) ===/,
            60_000,
            'the hot-plugged NIC in the guest',
          );
          const addr = await guest.waitFor(
            /=== HOTPLUG ADDRESS ([\d.]+) ===/,
            UP_MS,
            'an address on the hot-plugged NIC',
          );
          await guest.waitFor(/=== HOTPLUG UP ===/, 60_000, 'the hot-plug report');
          const report = new GuestReport(guest.result());
          const inet = report
            .section('hotplug_up')
            .split('\n')
            .filter((l) => / inet /.test(l))
            .map((l) => /inet (\S+)/.exec(l)![1]);
          assert.deepEqual(
            inet,
            [HOT_NIC.cidr],
            `addresses on ${dev.match[1]}: ${report.section('hotplug_up')}\n${report.section('hotplug_log')}${report.where()}`,
          );
          assert.ok(
            report.section('hotplug_before').includes(HOTPLUG_RULE[suite]!),
            `cloud-init installed no ${HOTPLUG_RULE[suite]}: ${report.section('hotplug_before')}${report.where()}`,
          );
          const nd = await networkData();
          const net = nd.networks.find((n) => n.ip_address === HOT_NIC.cidr.split('/')[0]);
          assert.equal(net?.netmask, '255.255.255.0', `network_data.json: ${JSON.stringify(nd)}`);
          assert.ok(nd.links.some((l) => l.ethernet_mac_address === HOT_NIC.mac));
          const hostMs = addr.at - t0;
          const guestS = Number(addr.match[1]) - Number(dev.match[2]);
          console.log(
            `# ${suite}: nic add → address up: ${(hostMs / 1000).toFixed(1)} s (host clock; QMP ${add.ms.hypervisor} ms, documents ${add.ms.metadata} ms); device seen → address in the guest: ${guestS.toFixed(1)} s`,
          );
          recordTiming('hotplug', `${suite}-add-to-up`, hostMs / 1000, { guestSeconds: guestS });

          // The guest re-read network_data.json after the event, and inspect says so.
          const fetched = (await accessLog(vm)).filter(
            (r) => /network_data\.json$/.test(String(r.path)) && Date.parse(String(r.time)) >= Date.parse(add.at),
          );
          assert.ok(fetched.length > 0, 'the guest did not fetch network_data.json after nic add');
          const inspect = JSON.parse((await vmmeta(root, ['inspect', '--json', vm.name])).stdout) as {
            hotplug: { acts: boolean; nics: Array<{ id: string; fetchedAfter: string | null }> };
          };
          assert.equal(inspect.hotplug.acts, true);
          assert.notEqual(inspect.hotplug.nics.find((n) => n.id === HOT_NIC.id)?.fetchedAfter ?? null, null);

          // remove: device_del, DEVICE_DELETED, then the link goes.
          const t1 = Date.now();
          const rm = JSON.parse((await vmmeta(root, ['nic', 'remove', '--json', vm.name, HOT_NIC.id])).stdout) as {
            action: string;
            ms: { hypervisor: number };
          };
          assert.equal(rm.action, 'removed');
          await guest.waitFor(/=== HOTPLUG GONE ([\d.]+) ===/, 60_000, 'the NIC gone from the guest');
          console.log(
            `# ${suite}: nic remove → DEVICE_DELETED ${rm.ms.hypervisor} ms, ${((Date.now() - t1) / 1000).toFixed(1)} s to gone in the guest`,
          );
          assert.deepEqual(
            (await networkData()).links.map((l) => l.ethernet_mac_address),
            [FIRST_MAC],
            'the link was not dropped',
          );
          const state = JSON.parse(await readFile(join(vm.dir, 'state.json'), 'utf8')) as {
            overrides?: { nics?: unknown[] };
          };
          assert.equal(state.overrides?.nics, undefined, 'state.json still records the NIC');

          // The watcher reboots the guest; the second boot is reported by the image's report unit, which powers off.
          await guest.waitFor(/=== HOTPLUG REBOOT ===/, 60_000, 'the reboot');
          const code = await Promise.race([
            guest.exited,
            new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), REBOOT_MS).unref()),
          ]);
          assert.notEqual(code, 'timeout', `the guest did not finish its second boot${report.where()}`);
          const second = parseCloudInitReport(guest.result());
          assert.match(
            second.report.section('status'),
            /status: done/,
            `cloud-init status after the reboot${second.report.where()}`,
          );
          assert.match(
            second.datasource ?? '',
            /^DataSourceOpenStack(Local)?$/,
            `datasource after the reboot: ${second.datasourceLine}${second.report.where()}`,
          );
          assert.equal(second.hostname, `vmmeta-${suite}-hotplug`);
          assert.equal(nicByMac(second, HOT_NIC.mac), undefined, 'the unplugged NIC is back after the reboot');
          assert.ok(
            (nicByMac(second, FIRST_MAC)?.ipv4.length ?? 0) > 0,
            `first NIC has no address after the reboot${second.report.where()}`,
          );
        },
      );
    },
  );
}
