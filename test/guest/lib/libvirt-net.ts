// The host side of tap mode inside the test's namespace: a bridge holding the guests' on-link network
// 169.254.169.0/24 (dnsmasq hands out leases, the host keeps .1 and the metadata address .254 on lo), and one VM's
// metadata rules. Only this test's namespace is touched.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './cache.js';
import type { Libvirtd } from './libvirtd.js';

export function bridgeUp(lv: Libvirtd, bridge: string): ChildProcess {
  for (const cmd of [
    ['ip', 'link', 'add', bridge, 'type', 'bridge'],
    ['ip', 'addr', 'add', '169.254.169.1/24', 'dev', bridge],
    ['ip', 'link', 'set', bridge, 'up'],
    ['ip', 'addr', 'add', '169.254.169.254/32', 'dev', 'lo'],
  ]) {
    const r = lv.inNs(cmd, { mounts: false });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
  }
  return lv.spawnInNs([
    'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--no-resolv', '--bind-interfaces', `--interface=${bridge}`,
    '--except-interface=lo', '--dhcp-range=169.254.169.100,169.254.169.200,255.255.255.0,10m', `--dhcp-leasefile=${join(lv.dir, 'leases')}`, '--pid-file=', '--log-dhcp',
  ]);
}

// THE switch point for #13: until vmmeta installs a VM's nft rules itself, the test loads them from the template
// (templates/nftables-metadata.nft, with this VM's tap, port, mark and table names). Replace the body with vmmeta's
// own rule installation when merging.
export function loadMetadataRules(lv: Libvirtd, vm: { name: string; tap: string; port: number; mark: number }): void {
  const table = `vmmeta_${vm.name.replaceAll('-', '_')}`;
  const text = readFileSync(join(REPO_ROOT, 'templates', 'nftables-metadata.nft'), 'utf8')
    .replace(/^define vm_tap = .*$/m, `define vm_tap = "${vm.tap}"`)
    .replace(/^define vm_port = .*$/m, `define vm_port = ${vm.port}`)
    .replace(/^define vm_mark = .*$/m, `define vm_mark = 0x${vm.mark.toString(16)}`)
    .replaceAll('vmmeta_web', table);
  const r = lv.inNs(['nft', '-f', '-'], { mounts: false, input: text });
  if (r.status !== 0) throw new Error(`nft -f (${table}): ${r.stderr}`);
}
