// Warnings for specs that the cloud-init generation they name (guest.cloudInit) renders wrongly, measured with
// each generation's own net-convert (test/client/render-*.test.ts) or named in the upstream ChangeLog. The spec
// stays valid: another image of the same VM may read it fine. Pure.
import type { ResolvedVm } from './schema.js';
import { atLeast } from '../guest/ds-identify-model.js';
import { classifySerialSeed } from '../guest/nocloud-serial.js';

export function generationWarnings(vm: ResolvedVm): string[] {
  const gen = vm.guest.cloudInit;
  const out: string[] = [];
  const links = vm.network.links;
  const macOf = new Map(links.map((l) => [l.id, l.mac.toLowerCase()]));
  for (const l of links) {
    if (l.type !== 'bond') continue;
    const members = l.members.map((m) => macOf.get(m));
    if (!members.includes(l.mac.toLowerCase())) {
      if (gen === '20.4') {
        out.push(
          `network.links ${l.id}: cloud-init 20.4 copies the bond's MAC ${l.mac} onto every member, so no NIC matches and the bond comes up empty; give it a member's MAC (22.4+ render it correctly)`,
        );
      }
      out.push(
        `network.links ${l.id}: the NetworkManager renderer (Fedora, RHEL 9+) drops a bond's own MAC ${l.mac}; the bond takes its first member's`,
      );
    }
    if (l.xmitHashPolicy !== undefined && atLeast(gen, '25.1')) {
      out.push(
        `network.links ${l.id}: cloud-init ${gen}'s sysconfig and networkd renderers drop bond_xmit_hash_policy (upstream bug since 25.1); netplan and ENI keep it`,
      );
    }
  }
  for (const l of links) {
    if (l.type === 'vlan' && l.mtu !== undefined)
      out.push(
        `network.links ${l.id}: the NetworkManager renderer drops a VLAN's MTU (${l.mtu}); netplan, networkd, ENI and sysconfig keep it`,
      );
  }
  if (gen === '20.4') {
    for (const n of vm.network.networks) {
      if (n.type === 'ipv6' && n.routes.length > 0) {
        out.push(
          `network.networks ${n.id ?? n.link}: cloud-init 20.4's sysconfig renderer (RHEL-family images) writes IPv6 routes as prefix/mask ("2001:db8::/ffff:ffff:ffff::"), which ip -6 route rejects; netplan and ENI are fine`,
        );
      }
    }
  }
  if (vm.datasource.nocloud === 'net' && !atLeast(gen, '25.1')) {
    out.push(
      `datasource.nocloud net: cloud-init ${gen}'s NoCloudNet fetches meta-data, user-data and vendor-data but not network-config, so only the fallback NIC comes up (DHCP) and the others stay unconfigured, and init-network logs a WARNING re-running ifup on it (22.4 guest); the CD (nocloud: cd) or the metadata service (nocloud: none) configure every NIC`,
    );
  }
  // vmmeta's own serial (datasource.nocloud: net) already takes the form this generation reads without a
  // deprecation (hypervisor/smbios.ts nocloudSerial); a serial the spec writes by hand may not.
  const serial = vm.smbios.serial?.trim() ?? '';
  const seed = classifySerialSeed(serial, gen);
  if (seed === 'deprecated') {
    out.push(
      `smbios.serial: ds=nocloud-net is a datasource name deprecated since cloud-init 24.1 (cloud-init ${gen} logs DEPRECATED and \`cloud-init status\` exits 2); say ds=nocloud;s=…, or use datasource.nocloud: net, which writes the serial in the form each generation reads`,
    );
  }
  if (seed === 'local-mode') {
    out.push(
      `smbios.serial: cloud-init ${gen} reads ds=nocloud with an http seed as dsmode=local, and its init-network stage then exits without configuring the guest; before 24.1 it must say ds=nocloud-net (datasource.nocloud: net writes the right form)`,
    );
  }
  return out;
}
