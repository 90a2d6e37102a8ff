#!/bin/sh
# /init of the small guest (busybox initramfs). Prints what the guest sees between "=== BEGIN x ===" and
# "=== END x ===" markers on the serial console, then powers off. Every step is bounded, so a broken guest ends
# the boot instead of hanging the test.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs dev /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
exec >/dev/console 2>&1
echo 1 >/proc/sys/kernel/printk

for m in $(cat /etc/modules.order); do insmod "/lib/modules/$m" 2>/dev/null || echo "insmod $m failed"; done

section() { echo "=== BEGIN $1 ==="; }
endsection() { echo "=== END $1 ==="; }

section dmi
for f in sys_vendor product_name product_version product_serial product_uuid product_family chassis_vendor chassis_asset_tag; do
  printf '%s=%s\n' "$f" "$(cat /sys/class/dmi/id/$f 2>/dev/null)"
done
endsection dmi

# The CD shows up a moment after its driver loads; busybox has no blkid, so read the ISO 9660 volume id from
# the primary volume descriptor (sector 16, bytes 40..71).
section cdrom
i=0; while [ ! -b /dev/sr0 ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
if [ -b /dev/sr0 ]; then
  label=$(dd if=/dev/sr0 bs=2048 skip=16 count=1 2>/dev/null | dd bs=1 skip=40 count=32 2>/dev/null | tr -d ' \0')
  echo "label=$label"
  mkdir -p /mnt && mount -t iso9660 -o ro /dev/sr0 /mnt 2>/dev/null && echo "files=$(ls /mnt | tr '\n' ' ')" && umount /mnt
else
  echo "label="
fi
endsection cdrom

section net
ip link set lo up
nic=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
echo "nic=$nic mac=$(cat /sys/class/net/$nic/address 2>/dev/null)"
ip link set "$nic" up
timeout 20 udhcpc -i "$nic" -n -q -t 5 -T 2 -s /etc/udhcpc.sh >/dev/null 2>&1 || echo "udhcpc failed"
ip -o -4 addr show dev "$nic" | awk '{print "addr=" $4}'
endsection net

fetch() {
  section "$1"
  timeout 15 wget -q -O - "http://169.254.169.254$2" || echo "!! fetch failed: $2"
  echo
  endsection "$1"
}
fetch meta_data /openstack/latest/meta_data.json
fetch network_data /openstack/latest/network_data.json
fetch instance_id /latest/meta-data/instance-id

# Hot-plug phase, only when the kernel command line names a MAC (vmmeta.hotplug_mac=…): the test plugs a NIC with
# it once hotplug_added has begun, and unplugs it once hotplug_network_data has ended. Each wait is bounded.
hp_mac=$(sed -n 's/.*vmmeta\.hotplug_mac=\([0-9a-f:]*\).*/\1/p' /proc/cmdline)
if [ -n "$hp_mac" ]; then
  section hotplug_added
  i=0; hp_dev=
  while [ -z "$hp_dev" ] && [ $i -lt 1200 ]; do
    hp_dev=$(grep -l "^$hp_mac\$" /sys/class/net/*/address 2>/dev/null | head -n 1 | cut -d/ -f5)
    [ -n "$hp_dev" ] || sleep 0.5
    i=$((i + 1))
  done
  echo "added=$hp_dev"
  endsection hotplug_added
  # As cloud-init's hotplug hook does, read network_data.json again until it lists the new MAC: vmmeta adds the
  # link once the hypervisor has attached the device, so the guest may see the device a moment first.
  section hotplug_network_data
  i=0
  while [ $i -lt 60 ]; do
    nd=$(timeout 15 wget -q -O - "http://169.254.169.254/openstack/latest/network_data.json")
    case "$nd" in *"$hp_mac"*) break ;; esac
    sleep 1; i=$((i + 1))
  done
  echo "$nd"
  endsection hotplug_network_data
  section hotplug_removed
  i=0
  while [ -n "$hp_dev" ] && [ -e "/sys/class/net/$hp_dev" ] && [ $i -lt 1200 ]; do sleep 0.5; i=$((i + 1)); done
  [ -n "$hp_dev" ] && [ ! -e "/sys/class/net/$hp_dev" ] && echo "removed=$hp_dev" || echo "removed="
  endsection hotplug_removed
fi

section uptime
cut -d' ' -f1 /proc/uptime
endsection uptime
echo "=== GUEST DONE ==="
sync
poweroff -f
