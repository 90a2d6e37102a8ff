// Tap mode with real guests: inside a private network namespace (vmm13-…), a bridge with Debian's dnsmasq,
// and two Debian cloud-init guests booted AT THE SAME TIME, each on its own tap with exactly the QEMU arguments
// `vmmeta create` wrote for tap mode and no other NIC on the metadata path (a second NIC on a restricted user
// network, which reaches nothing, carries the static address from network_data.json). vmmeta create and delete
// run inside the namespace, so the sidecars and the nftables rules live there too. Default: bookworm;
// VMMETA_BRIDGE_SUITES=bullseye,bookworm,trixie (npm run test:bridge-matrix) boots every generation.
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { SUITES, SUITE_CLOUD_INIT, type Suite } from '../helpers/cloud-init.js';
import { debianImage, withReportDeadline, type DebianImage } from './lib/debian-image.js';
import { boot, killAllGuests, type BootResult } from './lib/qemu.js';
import { parseCloudInitReport, nicByMac } from './lib/cloud-init-report.js';
import { keyValues, GuestReport } from './lib/report.js';
import { REPO_ROOT } from './lib/cache.js';
import { removeRoot, stateRoot } from './lib/vmmeta.js';
import { bridgeHost, BRIDGE_TOOLS, type BridgeHost } from './lib/bridge-host.js';
import { checksUserData, CONTROL_MARK } from './lib/bridge-checks.js';

const exec = promisify(execFile);
const BIN = join(REPO_ROOT, 'bin', 'vmmeta.js');
const suites = (process.env.VMMETA_BRIDGE_SUITES ?? 'bookworm')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean) as Suite[];
for (const s of suites)
  if (!SUITES.includes(s)) throw new Error(`VMMETA_BRIDGE_SUITES: unknown suite ${s} (known: ${SUITES.join(', ')})`);
const skip = process.getuid?.() !== 0 || !BRIDGE_TOOLS ? 'needs root with ip, nft and dnsmasq' : false;
// Two TCG guests share the two cores, so each boot takes about twice as long as one alone.
const BOOT_TIMEOUT_MS = 480_000;

// An ed25519 public key per guest (any 32 bytes make a well-formed one), so each must get its own.
function key(n: number): string {
  const type = Buffer.from('ssh-ed25519');
  const blob = Buffer.concat([
    Buffer.from([0, 0, 0, type.length]),
    type,
    Buffer.from([0, 0, 0, 32]),
    Buffer.alloc(32, n),
  ]);
  return `ssh-ed25519 ${blob.toString('base64')} guest${n}@vmmeta`;
}

interface Guest {
  name: string;
  uuid: string;
  hostname: string;
  tap: string;
  mac: string;
  mac2: string;
  cidr: string;
  port: number;
  key: string;
}
const GUESTS: Guest[] = [1, 2].map((n) => ({
  name: `bg${n}`,
  uuid: `5a0b3c1d-2e4f-4a6b-8c7d-9e0f1a2b3d0${n}`,
  hostname: `vmmeta-bridge-${n}`,
  tap: `tap-bg${n}`,
  mac: `52:54:00:b9:00:0${n}`,
  mac2: `52:54:00:b9:01:0${n}`,
  cidr: `10.98.0.1${n}/24`,
  port: 8810 + n,
  key: key(n),
}));

function spec(g: Guest, suite: Suite, other?: Guest): Record<string, unknown> {
  return {
    name: g.name,
    uuid: g.uuid,
    hostname: g.hostname,
    sshKeys: [{ name: 'ops', key: g.key }],
    guest: { cloudInit: SUITE_CLOUD_INIT[suite] },
    datasource: { nocloud: 'none' },
    sidecar: { path: 'tap', tap: { device: g.tap, bridge: 'br0', port: g.port } },
    network: {
      links: [
        { id: 'eth0', type: 'physical', mac: g.mac },
        { id: 'eth1', type: 'physical', mac: g.mac2 },
      ],
      networks: [
        { link: 'eth0', type: 'ipv4_dhcp' },
        { link: 'eth1', type: 'ipv4', address: g.cidr },
      ],
    },
    userData: checksUserData({ mac: g.mac, ...(other ? { otherPort: other.port } : {}) }),
  };
}

for (const suite of suites) {
  describe(`two ${suite} guests on one bridge, tap mode`, { skip, timeout: 30 * 60_000 }, () => {
    let image: DebianImage;
    let host: BridgeHost;
    let root: string;
    let rulesBefore = '';
    const created: string[] = [];
    const vmmeta = (args: string[]) =>
      exec('ip', ['netns', 'exec', host.ns, process.execPath, BIN, ...args], {
        env: { ...process.env, VMMETA_STATE_DIR: root, NO_COLOR: '1' },
        timeout: 60_000,
      });

    before(async () => {
      image = await debianImage(suite);
      root = await stateRoot();
      host = await bridgeHost(GUESTS.map((g) => g.tap));
      rulesBefore = host.sh('nft list ruleset');
    });

    after(async () => {
      killAllGuests();
      for (const name of created) await vmmeta(['delete', name]).catch(() => undefined);
      host?.close();
      if (root) await removeRoot(root);
    });

    it(
      "OpenStack in both, own hostname, key and static NIC; the other VM's port refused, then open without its guard; fe80::a9fe:a9fe answers; delete restores the ruleset",
      { timeout: BOOT_TIMEOUT_MS + 120_000 },
      async () => {
        const argvs: string[][] = [];
        for (const [i, g] of GUESTS.entries()) {
          const file = join(root, `${g.name}.yaml`);
          await writeFile(file, stringify(spec(g, suite, i === 0 ? GUESTS[1] : undefined)));
          await vmmeta(['create', file, '--json']);
          created.push(g.name);
          argvs.push(JSON.parse(await readFile(join(root, g.name, 'qemu-args.json'), 'utf8')) as string[]);
        }
        for (const [i, argv] of argvs.entries()) {
          const nics = argv.filter((a) => a.startsWith('-netdev') || /^(user|tap),/.test(a));
          assert.deepEqual(
            nics.filter((a) => a !== '-netdev'),
            [`tap,id=vmmeta0,ifname=${GUESTS[i]!.tap},script=no,downscript=no`],
            'vmmeta gives exactly one tap NIC',
          );
        }
        // The control: once guest 1 says its direct try was made, lift guest 2's port guard.
        let lifted = false;
        const watch = setInterval(() => {
          readFile(join(root, 'bg1', 'access.ndjson'), 'utf8').then(
            (t) => {
              if (!lifted && t.includes(CONTROL_MARK)) {
                lifted = true;
                host.sh('nft flush chain inet vmmeta-bg2 input');
              }
            },
            () => undefined,
          );
        }, 500);
        let results: BootResult[];
        try {
          results = await Promise.all(
            GUESTS.map((g, i) =>
              boot({
                name: `bridge-${suite}-${g.name}`,
                vmArgs: argvs[i]!,
                kernel: image.kernel,
                initrd: image.initrd,
                append: withReportDeadline(image.append, BOOT_TIMEOUT_MS / 1000 - 60),
                rootDisk: image.disk,
                memoryMb: 1024,
                timeoutMs: BOOT_TIMEOUT_MS,
                doneMarker: '=== GUEST DONE ===',
                netns: host.ns,
                extraArgs: [
                  '-netdev',
                  `user,id=extra${i},net=10.98.0.0/24,restrict=on`,
                  '-device',
                  `virtio-net-pci,netdev=extra${i},mac=${g.mac2}`,
                ],
              }),
            ),
          );
        } finally {
          clearInterval(watch);
        }
        for (const [i, g] of GUESTS.entries()) {
          const r = parseCloudInitReport(results[i]!);
          console.log(
            `# ${results[i]!.name}: ${(results[i]!.durationMs / 1000).toFixed(1)} s wall, guest uptime ${r.uptime} s, ${r.datasourceLine}`,
          );
          assert.match(
            r.datasource ?? '',
            /^DataSourceOpenStack(Local)?$/,
            `${g.name} datasource: ${r.datasourceLine}${r.report.where()}`,
          );
          assert.equal(r.hostname, g.hostname, `${g.name} hostname${r.report.where()}`);
          assert.ok(
            r.keys.some((k) => k.endsWith(g.key)) && !r.keys.some((k) => k.endsWith(GUESTS[1 - i]!.key)),
            `${g.name} keys: ${r.keys.join(' | ')}${r.report.where()}`,
          );
          assert.deepEqual(
            nicByMac(r, g.mac2)?.ipv4,
            [g.cidr],
            `${g.name} second NIC: ${JSON.stringify(r.nics)}${r.report.where()}`,
          );
          const checks = keyValues(new GuestReport(results[i]!).section('bridge_checks'));
          assert.equal(
            checks.v6_meta,
            `open:200:${g.uuid}`,
            `${g.name}: GET [fe80::a9fe:a9fe%${checks.nic}] ${JSON.stringify(checks)}${r.report.where()}`,
          );
          assert.equal(
            checks.v4_meta,
            `open:200:${g.uuid}`,
            `${g.name}: GET 169.254.169.254 ${JSON.stringify(checks)}`,
          );
          if (i === 0) {
            assert.equal(
              checks.direct_other,
              'refused',
              `bg1 → bg2's port ${GUESTS[1]!.port}: ${JSON.stringify(checks)}`,
            );
            assert.ok(lifted, 'the host never saw guest 1 ask to lift the guard');
            assert.equal(
              checks.direct_other_unguarded,
              `open:200:${GUESTS[1]!.uuid}`,
              `control: ${JSON.stringify(checks)}`,
            );
          }
        }
        for (const name of [...created]) {
          await vmmeta(['delete', name]);
          created.splice(created.indexOf(name), 1);
        }
        assert.equal(
          host.sh('nft list ruleset'),
          rulesBefore,
          "delete leaves the namespace's ruleset as before create",
        );
      },
    );
  });
}
