// The spec and user-data of the hot-plug guest test. The image's report unit (scripts/report.sh) would power the
// guest off as soon as cloud-init finishes, or at 270 s of uptime, which a loaded host's first boot passes before
// cloud-init even runs bootcmd: the test masks it on the kernel command line (REPORT_MASK) instead. A bootcmd
// starts a watcher, which prints markers on the serial console: READY (cloud-init done, the hook can fire), DEVICE
// (a NIC with the hot-plugged MAC appeared), ADDRESS/UP (it has an IPv4 address) with its addresses, GONE (it was
// unplugged). It then enables a copy of the report unit under another name (the mask names only the original) and
// reboots; that copy reports the second boot as usual and powers the guest off.
import { SUITE_CLOUD_INIT, type Suite } from '../../helpers/cloud-init.js';
import { KEY } from './cloud-init-setups.js';

export const REPORT_MASK = 'systemd.mask=vmmeta-report.service';
export const HOT_NIC = { id: 'data0', mac: '52:54:00:c1:16:10', cidr: '10.99.16.10/24' };
export const FIRST_MAC = '52:54:00:c1:16:01';
// The udev rule cc_install_hotplug writes: 22.4 names it 10-, 25.1 and 26.2 name it 90- (seen in the guests).
export const HOTPLUG_RULE: Partial<Record<Suite, string>> = {
  bookworm: '10-cloud-init-hook-hotplug.rules',
  trixie: '90-cloud-init-hook-hotplug.rules',
  sid: '90-cloud-init-hook-hotplug.rules',
};
const UUIDS: Partial<Record<Suite, string>> = {
  bookworm: '5a0b3c1d-2e4f-4a6b-8c7d-9e0f1a2b3c62',
  trixie: '5a0b3c1d-2e4f-4a6b-8c7d-9e0f1a2b3c63',
  sid: '5a0b3c1d-2e4f-4a6b-8c7d-9e0f1a2b3c64',
};

// dash: `sleep 0.2` is coreutils'. Every marker line carries the guest's uptime, so the guest's own
// device-to-address time is measured without the host's clock.
const WATCHER = `#!/bin/sh
exec >/dev/ttyS0 2>&1
up() { cut -d' ' -f1 /proc/uptime; }
# By MAC, every time: the kernel names the new NIC eth0 and udev renames it (ens4) moments later, and a name
# taken before the rename leads nowhere (seen on sid).
hotif() { for n in /sys/class/net/*; do [ "$(cat $n/address 2>/dev/null)" = "${HOT_NIC.mac}" ] && { basename $n; return; }; done; }
while [ ! -e /run/cloud-init/result.json ]; do sleep 1; done
# 25.1's hook needs cloud-init-hotplugd.socket listening (After=cloud-config.target); 22.4's needs result.json.
n=0; while [ ! -p /run/cloud-init/share/hook-hotplug-cmd ] && [ $n -lt 60 ]; do sleep 1; n=$((n+1)); done
echo "=== BEGIN hotplug_before ==="
ls -l /etc/udev/rules.d/ /run/cloud-init/share/ 2>&1
ip -o link
echo "=== END hotplug_before ==="
echo "=== HOTPLUG READY $(up) ==="
while :; do IF=$(hotif); [ -n "$IF" ] && break; sleep 0.2; done
echo "=== HOTPLUG DEVICE $IF $(up) ==="
t=0
while :; do
  IF=$(hotif)
  [ -n "$IF" ] && ip -4 -o addr show dev "$IF" 2>/dev/null | grep -q inet && break
  sleep 0.2; t=$((t+1)); [ $t -ge 900 ] && break
done
echo "=== HOTPLUG ADDRESS $(up) ==="
echo "=== BEGIN hotplug_up ==="
ip -o -4 addr show dev $IF
echo "operstate $(cat /sys/class/net/$IF/operstate)"
echo "=== END hotplug_up ==="
echo "=== BEGIN hotplug_config ==="
cat /etc/network/interfaces.d/50-cloud-init /etc/netplan/50-cloud-init.yaml 2>/dev/null
echo "=== END hotplug_config ==="
echo "=== BEGIN hotplug_log ==="
grep -iE 'hotplug|Exception|Traceback' /var/log/cloud-init.log | tail -n 40
echo "=== END hotplug_log ==="
echo "=== HOTPLUG UP ==="
while [ -n "$(hotif)" ]; do sleep 0.2; done
echo "=== HOTPLUG GONE $(up) ==="
sleep 5
echo "=== BEGIN hotplug_after ==="
ip -o link
grep -iE 'hotplug' /var/log/cloud-init.log | tail -n 10
echo "=== END hotplug_after ==="
touch /var/lib/vmmeta-hotplug-done
cp /etc/systemd/system/vmmeta-report.service /etc/systemd/system/vmmeta-report-second.service
ln -sf ../vmmeta-report-second.service /etc/systemd/system/sysinit.target.wants/vmmeta-report-second.service
sync
echo "=== HOTPLUG REBOOT ==="
systemctl reboot
`;

export function hotplugUserData(): string {
  const indented = WATCHER.split('\n')
    .map((l) => (l ? `    ${l}` : ''))
    .join('\n');
  return `#cloud-config
bootcmd:
  - |
    [ -e /var/lib/vmmeta-hotplug-done ] && exit 0
    cat > /run/vmmeta-hotplug-watch <<'EOF'
${indented}
    EOF
    systemd-run --unit vmmeta-hotplug-watch --no-block /bin/sh /run/vmmeta-hotplug-watch
`;
}

export function hotplugSpec(suite: Suite): Record<string, unknown> {
  const uuid = UUIDS[suite];
  if (!uuid) throw new Error(`no hot-plug setup for ${suite}`);
  return {
    name: `ci-${suite}-hotplug`,
    uuid,
    hostname: `vmmeta-${suite}-hotplug`,
    sshKeys: [{ name: 'ops', key: KEY }],
    guest: { cloudInit: SUITE_CLOUD_INIT[suite] },
    datasource: { nocloud: 'none' },
    hotplug: { network: true },
    userData: hotplugUserData(),
    network: {
      links: [{ id: 'eth0', type: 'physical', mac: FIRST_MAC }],
      networks: [{ link: 'eth0', type: 'ipv4_dhcp' }],
    },
  };
}
