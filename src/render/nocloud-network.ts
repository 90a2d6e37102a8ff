// NoCloud's network-config: network config version 2 (netplan's format) without a top-level `network:` key,
// as DataSourceNoCloud reads it (cloud-init-client.md §6). Older renderers (ENI on 20.4/22.4, networkd) go through
// cloud-init's own v2 -> v1 conversion (network_state.py), so only keys it understands are used.
import type { Link, Network, ResolvedVm } from '../spec/schema.js';
import { formatIp, networkCidr, parseCidr } from '../spec/cidr.js';

type Json = Record<string, unknown>;

function canonicalCidr(text: string): { cidr: string; family: 4 | 6 } {
  const c = parseCidr(text);
  if (!c) throw new Error(`render: ${text} is not a CIDR (the spec rules should have refused it)`);
  return { cidr: `${formatIp({ family: c.family, value: c.address })}/${c.prefix}`, family: c.family };
}

// Addresses, routes, DHCP and DNS of one link, merged from every network attached to it.
function addressing(vm: ResolvedVm, link: Link): Json {
  const nets: Network[] = vm.network.networks.filter((n) => n.link === link.id);
  if (nets.length === 0) return {};
  const out: Json = {};
  const addresses: string[] = [];
  const routes: Json[] = [];
  for (const n of nets) {
    if (n.type === 'ipv4_dhcp') out.dhcp4 = true;
    // cloud-init sets accept-ra for ipv6_dhcp from network_data.json too (convert_net_json); SLAAC needs RAs.
    if (n.type === 'ipv6_dhcp') Object.assign(out, { dhcp6: true, 'accept-ra': true });
    if (n.type === 'ipv6_slaac') out['accept-ra'] = true;
    if (n.type === 'ipv4' || n.type === 'ipv6') {
      const { cidr, family } = canonicalCidr(n.address);
      addresses.push(cidr);
      // gateway4/gateway6 rather than a 0.0.0.0/0 or ::/0 route: cloud-init's v2 -> v1 conversion turns `::/0`
      // into a `::/64` route on ENI (20.4, 22.4) and refuses `to: default` (22.4, 25.1), while the gateway keys
      // become ENI `gateway` lines and networkd [Route] Gateway= on every generation (checked by
      // test/client/render-net-convert). netplan calls them deprecated but still applies them.
      const key = family === 4 ? 'gateway4' : 'gateway6';
      if (n.gateway !== undefined && out[key] === undefined) out[key] = n.gateway;
      for (const r of n.routes) {
        const to = parseCidr(r.to);
        if (!to) throw new Error(`render: route ${r.to} is not a CIDR (the spec rules should have refused it)`);
        routes.push({ to: networkCidr(to), via: r.via, ...(r.metric === undefined ? {} : { metric: r.metric }) });
      }
    }
  }
  if (addresses.length > 0) out.addresses = addresses;
  if (routes.length > 0) out.routes = routes;
  // v2 has no global nameservers: the VM-wide servers and search domains go on every configured link, as
  // network_data.json's top-level services become global nameservers on the OpenStack side.
  const servers = [...new Set([...nets.flatMap((n) => n.dns), ...vm.network.dns.servers])];
  const search = vm.network.dns.search;
  if (servers.length > 0 || search.length > 0) {
    out.nameservers = {
      ...(servers.length > 0 ? { addresses: servers } : {}),
      ...(search.length > 0 ? { search } : {}),
    };
  }
  return out;
}

const mtuOf = (l: Link): Json => (l.mtu === undefined ? {} : { mtu: l.mtu });

// null when the VM has no links: no network-config file, so cloud-init uses its DHCP fallback.
export function noCloudNetworkConfig(vm: ResolvedVm): Json | null {
  const { links } = vm.network;
  if (links.length === 0) return null;
  const ethernets: Json = {};
  const bonds: Json = {};
  const vlans: Json = {};
  for (const link of links) {
    if (link.type === 'physical') {
      // Matched by MAC and named after the link id: cloud-init renames the NIC to the v2 name on every renderer.
      // Not with the seed in the serial (nocloud: net): it arrives in init-network, after init-local brought the
      // fallback NIC up, and renaming a NIC that is up fails ("[busy] Error renaming", a WARNING; trixie guest).
      // There the NICs keep the kernel's names, matched by MAC, as with network_data.json.
      ethernets[link.id] = {
        match: { macaddress: link.mac },
        ...(vm.datasource.nocloud === 'net' ? {} : { 'set-name': link.id }),
        ...mtuOf(link),
        ...addressing(vm, link),
      };
    } else if (link.type === 'bond') {
      const parameters: Json = { mode: link.mode };
      // A string: cloud-init 25.1's network-config v2 schema types it so (netplan takes either) and warns otherwise.
      if (link.miimon !== undefined) parameters['mii-monitor-interval'] = String(link.miimon);
      if (link.xmitHashPolicy !== undefined) parameters['transmit-hash-policy'] = link.xmitHashPolicy;
      bonds[link.id] = {
        interfaces: link.members,
        macaddress: link.mac,
        parameters,
        ...mtuOf(link),
        ...addressing(vm, link),
      };
    } else {
      vlans[link.id] = {
        id: link.vlanId,
        link: link.parent,
        macaddress: link.mac,
        ...mtuOf(link),
        ...addressing(vm, link),
      };
    }
  }
  const out: Json = { version: 2, ethernets };
  if (Object.keys(bonds).length > 0) out.bonds = bonds;
  if (Object.keys(vlans).length > 0) out.vlans = vlans;
  return out;
}
