// A Debian cloud-init guest per suite, built once from Debian's packages: debootstrap (minbase) with systemd,
// cloud-init, a network renderer and the suite's kernel, our report unit, then a raw ext4 image made with
// `mkfs.ext4 -d` (no loop mounts). The kernel and initrd are copied out of the image so QEMU boots them with
// -kernel/-initrd. Debian's cloud.cfg is left as packaged: no datasource_list, ds-identify decides.
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  rmSync,
  symlinkSync,
  statSync,
  chmodSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { aptUpdate, sidKeyring, type Suite } from '../../helpers/apt-root.js';
import { artifactsDir, cachedDir, guestCache, SCRIPTS_DIR } from './cache.js';

export interface DebianImage {
  suite: Suite;
  disk: string; // raw ext4, boot it with -snapshot
  kernel: string;
  initrd: string;
  append: string; // carries the suite's REPORT_DEADLINE
  buildLog: string;
  buildSeconds?: number;
}

// Bump when configure() changes in a way that needs a rebuild.
const IMAGE_REVISION = 1;
const MIRROR = 'http://deb.debian.org/debian';
const COMMON = [
  'systemd-sysv',
  'udev',
  'cloud-init',
  'locales',
  'linux-image-amd64',
  'iproute2',
  'python3-cffi-backend',
];
// cloud-init renders network_data.json with ifupdown up to bookworm; trixie's cloud-init no longer pulls it in,
// and Debian's own trixie images use netplan → systemd-networkd with dhcpcd (guest-testing.md). sid as trixie.
// The report unit waits for cloud-init until this much guest uptime, then reports a timeout; a passing boot reports
// as soon as cloud-init is done, so the deadline only bounds a failing one. sid's kernel and dracut initrd reach
// cloud-init's final stage at ~290 s on an idle two-core TCG host, where the others finish in 60–230 s.
export const REPORT_DEADLINE: Record<Suite, number> = { bullseye: 300, bookworm: 300, trixie: 300, sid: 450 };

export function withReportDeadline(append: string, seconds: number): string {
  return `${append.replace(/ ?vmmeta\.report_deadline=\d+/, '')} vmmeta.report_deadline=${seconds}`;
}

const PER_SUITE: Record<Suite, string[]> = {
  bullseye: ['ifupdown', 'isc-dhcp-client'],
  bookworm: ['ifupdown', 'isc-dhcp-client'],
  trixie: ['netplan.io', 'dhcpcd-base', 'e2fsprogs'],
  sid: ['netplan.io', 'dhcpcd-base', 'e2fsprogs'],
};

function run(cmd: string, args: string[], log: string): Promise<void> {
  appendFileSync(log, `\n$ ${cmd} ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // TMPDIR: the runner's scratch folder does not exist inside the chroot (sid's dracut refuses to start).
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C', TMPDIR: '/tmp' },
    });
    const sink = (d: Buffer) => appendFileSync(log, d);
    child.stdout!.on('data', sink);
    child.stderr!.on('data', sink);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const tail = readFileSync(log, 'utf8').split('\n').slice(-25).join('\n');
      reject(new Error(`${cmd} exited ${code}; build log ${log}:\n${tail}`));
    });
  });
}

function configure(root: string, suite: Suite): void {
  writeFileSync(join(root, 'etc/fstab'), '/dev/vda / ext4 defaults 0 1\n');
  // A name cloud-init must replace: seeing it in a report means the hostname did not come from metadata.
  writeFileSync(join(root, 'etc/hostname'), 'unconfigured-image\n');
  writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  writeFileSync(join(root, 'etc/locale.gen'), 'en_US.UTF-8 UTF-8\n');
  writeFileSync(join(root, 'etc/default/locale'), 'LANG=en_US.UTF-8\n');
  mkdirSync(join(root, 'usr/local/sbin'), { recursive: true });
  copyFileSync(join(SCRIPTS_DIR, 'report.sh'), join(root, 'usr/local/sbin/vmmeta-report'));
  chmodSync(join(root, 'usr/local/sbin/vmmeta-report'), 0o755);
  // QEMU's default machine has a floppy controller with no disk: probing it (blkid, ds-identify) only adds
  // I/O errors and seconds to every boot.
  mkdirSync(join(root, 'etc/modprobe.d'), { recursive: true });
  writeFileSync(join(root, 'etc/modprobe.d/vmmeta-test.conf'), 'blacklist floppy\n');
  copyFileSync(join(SCRIPTS_DIR, 'vmmeta-report.service'), join(root, 'etc/systemd/system/vmmeta-report.service'));
  const wants = join(root, 'etc/systemd/system/sysinit.target.wants');
  mkdirSync(wants, { recursive: true });
  rmSync(join(wants, 'vmmeta-report.service'), { force: true });
  // A relative link, as `systemctl enable` would make, without running systemctl in the chroot.
  spawnLink('../vmmeta-report.service', join(wants, 'vmmeta-report.service'));
  // No login prompt on the serial console: it would interleave with the report (and its vhangup cuts writers).
  spawnLink('/dev/null', join(root, 'etc/systemd/system/serial-getty@ttyS0.service'));
  if (suite === 'trixie' || suite === 'sid') {
    const netWants = join(root, 'etc/systemd/system/multi-user.target.wants');
    mkdirSync(netWants, { recursive: true });
    spawnLink('/usr/lib/systemd/system/systemd-networkd.service', join(netWants, 'systemd-networkd.service'));
  }
}

function spawnLink(target: string, path: string): void {
  rmSync(path, { force: true });
  symlinkSync(target, path);
}

// Everything that changes the image goes into its cache key, so editing the report script rebuilds it.
function imageKey(suite: Suite): string {
  const h = createHash('sha256').update(suite).update(COMMON.join(',')).update(PER_SUITE[suite].join(','));
  for (const f of ['report.sh', 'vmmeta-report.service']) h.update(readFileSync(join(SCRIPTS_DIR, f)));
  h.update(String(IMAGE_REVISION));
  if (suite === 'sid') h.update('dracut -N --add-drivers virtio_net');
  return h.digest('hex').slice(0, 12);
}

export async function debianImage(suite: Suite): Promise<DebianImage> {
  const started = Date.now();
  let built = false;
  const dir = await cachedDir(guestCache('images', `${suite}-${imageKey(suite)}`), async (tmp) => {
    built = true;
    const log = join(tmp, 'build.log');
    const root = join(tmp, 'root');
    const debs = guestCache('debootstrap-debs', suite);
    mkdirSync(debs, { recursive: true });
    // sid's Release is signed by subkeys the host keyring lacks: debootstrap checks it against the keyring the
    // private apt root obtained through trixie's signed chain (test/helpers/sid-keyring.ts).
    const keyring = suite === 'sid' ? (aptUpdate(), [`--keyring=${sidKeyring()}`]) : [];
    try {
      await run(
        'debootstrap',
        [
          '--variant=minbase',
          ...keyring,
          `--include=${[...COMMON, ...PER_SUITE[suite]].join(',')}`,
          `--cache-dir=${debs}`,
          suite,
          root,
          MIRROR,
        ],
        log,
      );
    } catch (e) {
      // The scratch folder goes away on failure: keep dpkg's side of the story for the report.
      const kept = join(artifactsDir(), `debootstrap-${suite}.log`);
      try {
        copyFileSync(join(root, 'debootstrap', 'debootstrap.log'), kept);
      } catch {
        writeFileSync(kept, 'debootstrap failed before writing its own log\n');
      }
      throw new Error(`${(e as Error).message}\n(dpkg log kept as ${kept})`);
    }
    configure(root, suite);
    await run('chroot', [root, 'locale-gen'], log);
    // sid builds its initrd with dracut, host-only in the chroot: without the build host's virtio_blk the initrd
    // waits for /dev/vda for ever. A generic (-N) initrd carries every storage driver, but no NIC driver: virtio_net
    // then loads from the root file system, on TCG after cloud-init's local stage has looked for a NIC ("Did not
    // find a fallback interface", so OpenStackLocal has no DHCP and fails). The other suites' initramfs-tools
    // initrds have their NICs named before cloud-init looks; with the driver in it, so does this one.
    if (suite === 'sid') {
      const kver = readdirSync(join(root, 'boot'))
        .find((f) => f.startsWith('vmlinuz-'))!
        .slice('vmlinuz-'.length);
      await run(
        'chroot',
        [root, 'dracut', '-N', '--add-drivers', 'virtio_net', '--force', `/boot/initrd.img-${kver}`, kver],
        log,
      );
    }
    const boot = readdirSync(join(root, 'boot'));
    const vmlinuz = boot.find((f) => f.startsWith('vmlinuz-'));
    const initrd = boot.find((f) => f.startsWith('initrd.img-'));
    if (!vmlinuz || !initrd) throw new Error(`no kernel/initrd in ${root}/boot: ${boot.join(' ')}; see ${log}`);
    copyFileSync(join(root, 'boot', vmlinuz), join(tmp, 'vmlinuz'));
    copyFileSync(join(root, 'boot', initrd), join(tmp, 'initrd.img'));
    // Apt's package cache and lists are not needed in the guest and only slow mkfs down.
    for (const p of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man'])
      rmSync(join(root, p), { recursive: true, force: true });
    await run('mkfs.ext4', ['-q', '-F', '-L', 'root', '-d', root, join(tmp, 'disk.raw'), '3G'], log);
    rmSync(root, { recursive: true, force: true });
    writeFileSync(join(tmp, 'build-seconds'), String(Math.round((Date.now() - started) / 1000)));
  });
  if (built) removeOlderImages(suite, dir);
  const secs = Number(readFileSync(join(dir, 'build-seconds'), 'utf8'));
  return {
    suite,
    disk: join(dir, 'disk.raw'),
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    append: withReportDeadline(
      'root=/dev/vda rw console=ttyS0 quiet modprobe.blacklist=floppy',
      REPORT_DEADLINE[suite],
    ),
    buildLog: join(dir, 'build.log'),
    ...(built ? { buildSeconds: secs } : {}),
  };
}

// Each image is ~1 GB: once a new revision is built, older complete ones of the same suite go.
function removeOlderImages(suite: Suite, keep: string): void {
  const images = guestCache('images');
  for (const e of readdirSync(images)) {
    const path = join(images, e);
    if (path !== keep && new RegExp(`^${suite}-[0-9a-f]{12}$`).test(e)) rmSync(path, { recursive: true, force: true });
  }
}

export function diskBytes(img: DebianImage): number {
  return statSync(img.disk).blocks * 512;
}
