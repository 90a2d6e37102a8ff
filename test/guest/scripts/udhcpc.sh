#!/bin/sh
# udhcpc hook for the small guest: apply the lease. Under restrict=on slirp offers no router, so only the
# on-link route that comes with the address exists, which is all 169.254.169.254 needs.
case "$1" in
  bound|renew) ip addr flush dev "$interface"; ifconfig "$interface" "$ip" netmask "${subnet:-255.255.0.0}" up ;;
esac
exit 0
