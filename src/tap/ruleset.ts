// One VM's metadata interception as nftables text, built from data and loaded in ONE `nft -f` transaction
// (tap/nft.ts): the guest dials 169.254.169.254:80 or [fe80::a9fe:a9fe]:80 as on OpenStack, and the host sends
// those connections to THIS VM's sidecar port. The VM is picked by the port the packet entered on (its tap),
// never by a source address a guest could forge. Pure: golden-tested in test/unit/tap/ruleset.test.ts.
//
// Bridged taps: at the IP layer every bridged packet seems to come from the bridge, so a bridge-family rule marks
// the packet while the bridge still knows the ingress port; the mark survives into the inet hooks (measured in
// test/integration/tap-mode.test.ts). Routed taps: the packet really enters on the tap, so iifname does.
import { METADATA_V4, METADATA_V6 } from './addresses.js';

export interface TapRules {
  vm: string;
  device: string; // the VM's tap (an interface name, spec/listen.ts isInterfaceName)
  bridge: string | null; // null: a routed tap
  port: number; // the sidecar's port on the metadata addresses
}

// Per-VM tables, so installing, swapping or removing one VM never touches another's (or the host's own) rules.
export function tableName(vm: string): string {
  return `vmmeta-${vm}`;
}

// A per-VM packet mark: unique while ports are (create refuses two VMs on one port); 0x566d is "Vm".
export function vmMark(port: number): string {
  return `0x566d${port.toString(16).padStart(4, '0')}`;
}

export function vmTables(r: TapRules): string {
  const t = tableName(r.vm);
  const dev = JSON.stringify(r.device);
  const mark = vmMark(r.port);
  const via = r.bridge === null ? `iifname ${dev}` : `meta mark ${mark}`;
  const out: string[] = [];
  if (r.bridge !== null) {
    out.push(
      `table bridge ${t} {`,
      '\tchain prerouting {',
      '\t\ttype filter hook prerouting priority -300; policy accept;',
      `\t\tiifname ${dev} ip daddr ${METADATA_V4} tcp dport 80 meta mark set ${mark}`,
      `\t\tiifname ${dev} ip6 daddr ${METADATA_V6} tcp dport 80 meta mark set ${mark}`,
      '\t}',
      '}',
    );
  }
  out.push(
    `table inet ${t} {`,
    '\tchain prerouting {',
    '\t\ttype nat hook prerouting priority dstnat; policy accept;',
    `\t\t${via} ip daddr ${METADATA_V4} tcp dport 80 dnat ip to ${METADATA_V4}:${r.port}`,
    `\t\t${via} ip6 daddr ${METADATA_V6} tcp dport 80 dnat ip6 to [${METADATA_V6}]:${r.port}`,
    '\t}',
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy accept;',
    // The sidecar's port answers the host itself and this VM's redirected connections; another guest dialling
    // the port directly would read this VM's metadata, so it is refused (a reset: the guest is told at once).
    `\t\ttcp dport ${r.port} iifname "lo" accept`,
    `\t\ttcp dport ${r.port} ct status dnat ${via} accept`,
    `\t\ttcp dport ${r.port} reject with tcp reset`,
    '\t}',
    '}',
  );
  return out.map((l) => `${l}\n`).join('');
}

// "add table" then "delete table" first: the delete cannot fail on a table that is not there, and the whole file
// is one transaction, so an update is a swap (no moment without rules) and a failure leaves the old rules.
function dropTables(vm: string): string {
  const t = tableName(vm);
  return ['bridge', 'inet'].map((f) => `add table ${f} ${t}\ndelete table ${f} ${t}\n`).join('');
}

export function installText(r: TapRules): string {
  return `# vmmeta: metadata interception for VM ${r.vm} (tap ${r.device}${r.bridge ? ` on bridge ${r.bridge}` : ', routed'}, port ${r.port})\n${dropTables(r.vm)}${vmTables(r)}`;
}

export function removeText(vm: string): string {
  return `# vmmeta: remove VM ${vm}'s metadata interception\n${dropTables(vm)}`;
}
