#!/bin/sh
# Runs inside the Debian cloud-init guest from vmmeta-report.service: waits until cloud-init has finished (or
# was disabled by ds-identify, or a deadline passes), prints what it did between markers on the serial console,
# then powers the guest off. It must not depend on cloud-init itself: when no datasource is found, cloud-init
# never runs user-data, so the report could not live there.
# The kernel command line can move the deadline (vmmeta.report_deadline=SECONDS), so a slower generation or a
# loaded host needs no image rebuild; the unit's argument is the default.
deadline=${1:-270}
for word in $(cat /proc/cmdline); do
  case "$word" in vmmeta.report_deadline=*) deadline=${word#vmmeta.report_deadline=} ;; esac
done
while :; do
  up=$(cut -d. -f1 /proc/uptime)
  [ -e /run/cloud-init/result.json ] && break
  # The generator ran before any unit: no "enabled" marker means ds-identify disabled cloud-init (20.4 writes no
  # "disabled" marker, later versions do).
  [ -e /run/cloud-init/enabled ] || break
  [ "$up" -ge "$deadline" ] && { echo "=== REPORT TIMEOUT at ${up}s ==="; break; }
  sleep 1
done
sleep 2
# Opened only now: a getty's vhangup() on ttyS0 would have cut off a descriptor opened at the start.
exec >/dev/ttyS0 2>&1
section() { name=$1; shift; echo "=== BEGIN $name ==="; "$@" 2>&1; echo "=== END $name ==="; }
section datasource sh -c "grep -o 'Datasource .*' /var/log/cloud-init-output.log 2>/dev/null | tail -n 1"
section cloud_id cloud-id
section status sh -c 'cloud-init status --long 2>&1 | head -n 20'
section enabled sh -c 'if [ -e /run/cloud-init/enabled ]; then echo enabled; else echo disabled; fi'
section ds_identify sh -c 'cat /run/cloud-init/cloud.cfg 2>/dev/null; grep -E "^(DMI_PRODUCT_NAME|DMI_CHASSIS_ASSET_TAG|FS_LABELS|policy|found|dsname|datasource_list|single_entry|No ds found|Found)" /run/cloud-init/ds-identify.log 2>/dev/null | head -n 20'
section hostname hostname
section keys sh -c 'for f in /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys; do [ -f "$f" ] && sed "s|^|$f: |" "$f"; done; true'
section addresses ip -color=never -o addr
section links sh -c 'for n in /sys/class/net/*; do echo "$(basename $n) $(cat $n/address) $(cat $n/operstate)"; done'
section network_config sh -c 'cat /etc/network/interfaces.d/50-cloud-init /etc/netplan/50-cloud-init.yaml 2>/dev/null; true'
section warnings sh -c 'grep -E "WARNING|DEPRECAT|ERROR|Traceback" /var/log/cloud-init.log | head -n 40; true'
section uptime cut -d' ' -f1 /proc/uptime
echo "=== GUEST DONE ==="
sync
systemctl poweroff --force --force 2>/dev/null || poweroff -f
