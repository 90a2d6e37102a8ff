// The host side of the bridged real-guest test, all inside one private network namespace (vmm13-…): the
// metadata address on lo, a bridge with fe80::a9fe:a9fe, a persistent tap per guest on it (QEMU opens it with
// script=no, as vmmeta's tap-mode arguments say), and Debian's dnsmasq answering DHCP on that bridge only, with
// a classless route to 169.254.169.254 through the host. Everything is removed by close(), failed or not.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BRIDGE_MAC } from '../../helpers/netns.js';

export const BRIDGE_TOOLS = ['ip', 'nft', 'dnsmasq'].every(
  (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0,
);

export interface BridgeHost {
  ns: string;
  sh(script: string): string;
  close(): void;
}

export async function bridgeHost(taps: string[]): Promise<BridgeHost> {
  const ns = `vmm13-guests-${process.pid}`;
  const tmp = mkdtempSync(join(tmpdir(), 'vmm13-dnsmasq-'));
  let dnsmasq: ChildProcess | undefined;
  const sh = (script: string) => {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-ec', script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`in ${ns}: ${script}\n${r.stderr}`);
    return r.stdout;
  };
  const close = () => {
    dnsmasq?.kill('SIGTERM');
    spawnSync('ip', ['netns', 'del', ns]); // takes the bridge and the taps with it
    rmSync(tmp, { recursive: true, force: true });
  };
  spawnSync('ip', ['netns', 'del', ns]);
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(add.stderr);
  try {
    sh(`ip link set lo up
ip addr add 169.254.169.254/32 dev lo
ip link add br0 address ${BRIDGE_MAC} type bridge
ip link set br0 up
ip addr add 192.0.2.1/24 dev br0
ip addr add fe80::a9fe:a9fe/64 dev br0 nodad
${taps.map((t) => `ip tuntap add dev ${t} mode tap\nip link set ${t} master br0 up`).join('\n')}`);
    dnsmasq = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'dnsmasq',
        '--keep-in-foreground',
        '--log-facility=-',
        '--conf-file=/dev/null',
        '--port=0',
        '--no-resolv',
        '--no-hosts',
        '--interface=br0',
        '--bind-interfaces',
        '--except-interface=lo',
        '--user=root',
        '--group=root',
        `--dhcp-leasefile=${join(tmp, 'leases')}`,
        `--pid-file=${join(tmp, 'pid')}`,
        '--log-dhcp',
        '--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,1h',
        '--dhcp-option=option:router,192.0.2.1',
        // RFC 3442: a host route to the metadata address through the host, as OpenStack's DHCP agent gives.
        '--dhcp-option=option:classless-static-route,169.254.169.254/32,192.0.2.1,0.0.0.0/0,192.0.2.1',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    dnsmasq.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    // dnsmasq logs "DHCP, IP range …" once it listens; an early exit is a setup failure.
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`dnsmasq did not start: ${err}`)), 10_000);
      dnsmasq!.once('exit', (code) => reject(new Error(`dnsmasq exited ${code}: ${err}`)));
      dnsmasq!.stderr!.on('data', () => {
        if (/DHCP, IP range/.test(err)) {
          clearTimeout(t);
          resolve();
        }
      });
    });
  } catch (e) {
    close();
    throw e;
  }
  return { ns, sh, close };
}
