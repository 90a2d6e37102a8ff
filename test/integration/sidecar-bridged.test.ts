// The bridged setup of docs/sidecar.md, built for real inside a private network namespace: a Linux bridge, two
// "guests" (network namespaces on veth ports named like taps), 169.254.169.254 on the host's lo,
// fe80::a9fe:a9fe on the bridge, one `vmmeta serve` per VM, and templates/nftables-metadata.nft loaded once per
// VM. Each guest must reach only its own VM's metadata over IPv4 and IPv6 link-local, and must not reach the
// other VM's sidecar port directly. Needs root, unshare, ip, nft and curl; skipped otherwise.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handTree, writeVmState, VMMETA_BIN } from '../helpers/sidecar.js';

const TEMPLATE = fileURLToPath(new URL('../../../templates/nftables-metadata.nft', import.meta.url));
const tools = ['unshare', 'ip', 'nft', 'curl'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
const skip = process.getuid?.() !== 0 || !tools ? 'needs root with unshare, ip, nft and curl' : false;

const SCRIPT = String.raw`set -eu
ROOT=$1; BIN=$2; TEMPLATE=$3
ip link set lo up
ip addr add 169.254.169.254/32 dev lo
ip link add br0 type bridge
ip link set br0 up
ip addr add 192.0.2.1/24 dev br0
ip addr add fe80::a9fe:a9fe/64 dev br0 nodad
PIDS=""
for i in 1 2; do
  ip netns add g$i
  ip link add tap-vm$i type veth peer name eth0 netns g$i
  ip link set tap-vm$i master br0 up
  ip netns exec g$i sysctl -qw net.ipv6.conf.eth0.accept_dad=0
  ip -n g$i link set lo up
  ip -n g$i link set eth0 up
  ip -n g$i addr add 192.0.2.1$i/24 dev eth0
  ip -n g$i route add 169.254.169.254/32 via 192.0.2.1
  sed -e "s/vmmeta_web/vmmeta_vm$i/; s/\"tap-web\"/\"tap-vm$i\"/; s/vm_port = 8801/vm_port = 880$i/; s/0x566d0001/0x566d000$i/" "$TEMPLATE" | nft -f -
  node "$BIN" serve vm$i --state-dir "$ROOT" --listen 169.254.169.254:880$i --listen "[fe80::a9fe:a9fe%br0]:880$i" > "$ROOT/vm$i.out" 2>&1 &
  PIDS="$PIDS $!"
done
for n in $(seq 50); do
  [ "$(cat "$ROOT"/vm*.out | grep -c '"ready"')" = 2 ] && break
  sleep 0.1
done
sleep 0.3
q() { ip netns exec "$1" curl -s -m 3 -o - -w '' "$2" 2>/dev/null || echo "FAILED"; }
echo "v4-g1=$(q g1 http://169.254.169.254/latest/meta-data/instance-id)"
echo "v4-g2=$(q g2 http://169.254.169.254/latest/meta-data/instance-id)"
echo "v6-g1=$(q g1 'http://[fe80::a9fe:a9fe%25eth0]/latest/meta-data/instance-id')"
echo "v6-g2=$(q g2 'http://[fe80::a9fe:a9fe%25eth0]/latest/meta-data/instance-id')"
echo "direct-g1-to-vm2=$(q g1 http://169.254.169.254:8802/latest/meta-data/instance-id)"
echo "direct-g2-to-vm1=$(q g2 http://169.254.169.254:8801/latest/meta-data/instance-id)"
echo "host-vm1=$(curl -s -m 3 http://169.254.169.254:8801/latest/meta-data/instance-id || echo FAILED)"
# Control: without vm2's input rules the direct path is open, so the refusal above is the rules' doing.
nft flush chain inet vmmeta_vm2 input
echo "direct-g1-to-vm2-unprotected=$(q g1 http://169.254.169.254:8802/latest/meta-data/instance-id)"
kill $PIDS
wait
ip netns del g1; ip netns del g2
`;

test('bridged host: nftables DNAT by ingress tap sends each guest to its own sidecar (IPv4 and fe80::a9fe:a9fe)', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'vmmeta-bridge-'));
  writeVmState(root, 'vm1', handTree('vm1'));
  writeVmState(root, 'vm2', handTree('vm2'));
  const r = spawnSync('unshare', ['--net', '--mount', 'bash', '-c', SCRIPT, 'bridged', root, VMMETA_BIN, TEMPLATE], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const got = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
  assert.deepEqual(got, {
    'v4-g1': 'i-vm1',
    'v4-g2': 'i-vm2',
    'v6-g1': 'i-vm1',
    'v6-g2': 'i-vm2',
    'direct-g1-to-vm2': 'FAILED',
    'direct-g2-to-vm1': 'FAILED',
    'host-vm1': 'i-vm1',
    'direct-g1-to-vm2-unprotected': 'i-vm2',
  });
});
