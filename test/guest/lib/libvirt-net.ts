// The host side of tap mode inside the test's namespace: a bridge holding the guests' on-link network
// 169.254.169.0/24 (dnsmasq hands out leases, the host keeps .1), then `vmmeta host-setup` for the metadata
// addresses; each VM's rules are vmmeta's own (create/start install them). Only this test's namespace is touched.
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Libvirtd } from './libvirtd.js';
import { BRIDGE_MAC } from '../../helpers/netns.js';

export function bridgeUp(lv: Libvirtd, bridge: string): ChildProcess {
  for (const cmd of [
    ['ip', 'link', 'add', bridge, 'address', BRIDGE_MAC, 'type', 'bridge'],
    ['ip', 'addr', 'add', '169.254.169.1/24', 'dev', bridge],
    ['ip', 'link', 'set', bridge, 'up'],
  ]) {
    const r = lv.inNs(cmd, { mounts: false });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
  }
  return lv.spawnInNs([
    'dnsmasq',
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--port=0',
    '--no-resolv',
    '--bind-interfaces',
    `--interface=${bridge}`,
    '--except-interface=lo',
    '--dhcp-range=169.254.169.100,169.254.169.200,255.255.255.0,10m',
    `--dhcp-leasefile=${join(lv.dir, 'leases')}`,
    '--pid-file=',
    '--log-dhcp',
  ]);
}
