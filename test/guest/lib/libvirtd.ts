// A real libvirtd (Debian's packages; Debian's qemu.conf but for `namespaces = []`, below) that lives only inside
// a private network namespace (vmm14-…) and a private mount namespace: a copy of /etc/libvirt with its own hooks
// folder is bind-mounted over the host's, and tmpfs covers libvirt's runtime, state, log and cache folders.
// Bridges, taps, dnsmasq, sidecars and domains exist only there; stop() destroys every domain, stops the daemons,
// kills whatever is left in the namespace and removes it, also after a failure. One lab at a time: virtlogd's
// pidfile (/run/virtlogd.pid) is outside the private folders.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
  chmodSync,
  existsSync,
} from 'node:fs';
import { join } from 'node:path';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface Libvirtd {
  netns: string;
  dir: string; // private scratch folder (etc copy, leases, logs), removed by stop()
  holder: number; // the process whose mount and network namespaces everything runs in
  virsh(args: string[], input?: string): Run;
  inNs(cmd: string[], o?: { mounts?: boolean; input?: string; env?: NodeJS.ProcessEnv; timeout?: number }): Run;
  spawnInNs(cmd: string[]): ChildProcess;
  readPrivate(path: string): string; // a file under the namespace's tmpfs (/var/log/libvirt/…)
  stop(): void;
}

const MOUNTS = ['/run/libvirt', '/var/lib/libvirt', '/var/log/libvirt', '/var/cache/libvirt'];

// In the new namespaces: private mounts, then both daemons; the shell then becomes the holder (exec sleep).
const INNER = `set -e
mkdir -p /run/libvirt
mount --bind "$1/etc" /etc/libvirt
# The package's empty folder skeleton (owners and modes: /var/lib/libvirt/qemu is libvirt-qemu's) over each tmpfs.
for d in ${MOUNTS.join(' ')}; do
  (cd "$d" && find . -maxdepth 3 -type d -print0 | tar --null --no-recursion -cf "$1/skel.tar" -T -)
  mount -t tmpfs -o mode=0755 tmpfs "$d"
  tar -C "$d" -xpf "$1/skel.tar"
done
# /dev/kvm: an empty file nobody may open (see namespaces above); the domains are type='qemu'.
if [ -e /dev/kvm ]; then : > "$1/no-kvm"; chmod 000 "$1/no-kvm"; mount --bind "$1/no-kvm" /dev/kvm; fi
ip link set lo up
virtlogd -d
libvirtd -d
i=0; while [ ! -S /run/libvirt/libvirt-sock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
echo ready
exec sleep infinity
`;

export async function startLibvirtd(o: { name: string; hook?: string }): Promise<Libvirtd> {
  for (const d of MOUNTS.slice(1))
    if (!existsSync(d)) throw new Error(`${d} is missing: is libvirt-daemon-system installed?`);
  const netns = `vmm14-${o.name}`.slice(0, 15);
  const dir = mkdtempSync(`/tmp/vmm14-${o.name}-`);
  chmodSync(dir, 0o711); // QEMU (libvirt-qemu) opens the kernel and initrd copies kept here
  cpSync('/etc/libvirt', join(dir, 'etc'), { recursive: true });
  // No autostarted networks: the test builds its own bridge.
  const auto = join(dir, 'etc', 'qemu', 'networks', 'autostart');
  if (existsSync(auto)) for (const f of readdirSync(auto)) rmSync(join(auto, f));
  if (o.hook !== undefined) writeFileSync(join(dir, 'etc', 'hooks', 'qemu'), o.hook, { mode: 0o755 });
  // The one change to Debian's qemu.conf, for speed, not for vmmeta: /dev/kvm opens on these hosts (QEMU's probe
  // finds KVM) but is root's alone (no udev), so libvirt 9.0 finds its cached QEMU capabilities stale at every API
  // call and probes QEMU again, 2-4 s per virsh call. INNER hides /dev/kvm in the daemon's mount namespace, and
  // libvirt's per-domain /dev namespace cannot carry that bind mount over, so it is off. The QEMU user, dynamic
  // ownership and the seccomp sandbox stay Debian's.
  appendFileSync(join(dir, 'etc', 'qemu.conf'), '\n# vmmeta test lab (test/guest/lib/libvirtd.ts)\nnamespaces = []\n');
  spawnSync('ip', ['netns', 'del', netns]); // a leftover from a killed run of this same test
  const made = spawnSync('ip', ['netns', 'add', netns], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`ip netns add ${netns}: ${made.stderr}`);
  const child = spawn(
    'ip',
    ['netns', 'exec', netns, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', INNER, 'sh', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const lv = handle(netns, dir, child);
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`libvirtd did not start in 20 s: ${out}`)), 20_000);
      child.stdout!.on('data', () => out.includes('ready') && (clearTimeout(t), resolve()));
      child.on('exit', (c) => (clearTimeout(t), reject(new Error(`libvirtd setup exited ${c}: ${out}`))));
    });
    const v = lv.virsh(['version']);
    if (v.status !== 0) throw new Error(`virsh version: ${v.stderr}`);
  } catch (err) {
    lv.stop();
    throw err;
  }
  return lv;
}

function handle(netns: string, dir: string, child: ChildProcess): Libvirtd {
  const holder = child.pid!;
  const inNs: Libvirtd['inNs'] = (cmd, o = {}) => {
    const argv =
      o.mounts === false
        ? ['ip', 'netns', 'exec', netns, ...cmd]
        : ['nsenter', '-t', String(holder), '-m', '-n', ...cmd];
    const r = spawnSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      input: o.input,
      env: o.env ?? process.env,
      timeout: o.timeout ?? 120_000,
    });
    return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
  };
  let stopped = false;
  return {
    netns,
    dir,
    holder,
    inNs,
    virsh: (args, input) =>
      inNs(['virsh', '-q', '-c', 'qemu:///system', ...args], input !== undefined ? { input } : {}),
    spawnInNs: (cmd) => spawn('ip', ['netns', 'exec', netns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] }),
    readPrivate: (path) => inNs(['cat', path]).stdout,
    stop() {
      if (stopped) return;
      stopped = true;
      const names = inNs(['virsh', '-q', '-c', 'qemu:///system', 'list', '--all', '--name'], { timeout: 20_000 })
        .stdout.split('\n')
        .filter(Boolean);
      for (const n of names) {
        inNs(['virsh', '-q', '-c', 'qemu:///system', 'destroy', n], { timeout: 20_000 });
        inNs(['virsh', '-q', '-c', 'qemu:///system', 'undefine', n, '--nvram'], { timeout: 20_000 });
      }
      for (const pidFile of ['/run/libvirt/libvirtd.pid', '/run/libvirt/virtlogd.pid']) {
        const pid = Number(inNs(['cat', pidFile], { timeout: 5_000 }).stdout.trim());
        if (pid > 1) killQuietly(pid, 'SIGTERM');
      }
      waitGone(
        () =>
          spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' })
            .stdout.split('\n')
            .filter(Boolean)
            .map(Number)
            .filter((p) => p !== holder),
        5_000,
      );
      // Anything still in the namespace (QEMU, dnsmasq, a sidecar) is ours: the namespace is this test's.
      for (const pid of spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map(Number))
        killQuietly(pid, 'SIGKILL');
      killQuietly(holder, 'SIGKILL');
      spawnSync('ip', ['netns', 'del', netns]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function killQuietly(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

function waitGone(pids: () => number[], ms: number): void {
  const end = Date.now() + ms;
  while (pids().length && Date.now() < end) spawnSync('sleep', ['0.2']);
}
