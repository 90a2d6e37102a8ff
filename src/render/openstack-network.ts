// network_data.json (openstack-metadata.md §8), shaped the way Nova's netutils.get_network_metadata writes it and
// cloud-init's convert_net_json (sources/helpers/openstack.py) reads it.
import type { Link, Network, ResolvedVm } from '../spec/schema.js';
import { formatIp, networkAddress, parseCidr, prefixToNetmask } from '../spec/cidr.js';

type Json = Record<string, unknown>;
interface DnsService {
  type: 'dns';
  address: string;
}

// null when the VM has no networks: Nova would answer `{}`, which cloud-init turns into a config with no
// interfaces (loopback only, not even DHCP), while a 404 lets it fall back to DHCP on the first NIC (§8.5).
export function openStackNetworkData(vm: ResolvedVm): Json | null {
  const { links, networks, dns } = vm.network;
  const macOf = new Map(links.map((l) => [l.id, l.mac]));
  if (links.length === 0 && networks.length === 0) return null;
  // Nova's top-level services are the de-duplicated union of every subnet's DNS servers; cloud-init 20.4/22.4
  // read only these (upstream >= 24.3 also reads the per-network ones, which are therefore emitted too).
  const services = uniqueDns([...dns.servers, ...networks.flatMap((n) => n.dns)]);
  return {
    links: links.map((l) => linkJson(l, macOf)),
    networks: networks.map((n, i) => networkJson(vm, n, i)),
    services,
  };
}

function linkJson(link: Link, macOf: Map<string, string>): Json {
  const mtu = link.mtu === undefined ? {} : { mtu: link.mtu };
  switch (link.type) {
    case 'physical':
      // No `name`: like Nova, leave the guest's own interface name alone; cloud-init finds the NIC by MAC.
      return { id: link.id, type: 'phy', ethernet_mac_address: link.mac, ...mtu };
    case 'bond':
      return {
        id: link.id,
        type: 'bond',
        bond_mode: link.mode,
        bond_links: link.members,
        ...(link.miimon === undefined ? {} : { bond_miimon: link.miimon }),
        ...(link.xmitHashPolicy === undefined ? {} : { bond_xmit_hash_policy: link.xmitHashPolicy }),
        // Only when it is not the first member's: Linux gives a bond that MAC anyway, and cloud-init 20.4 copies
        // a bond's MAC onto every member (network_state handle_bond), leaving two NICs with one MAC.
        ...(link.mac === macOf.get(link.members[0]!) ? {} : { ethernet_mac_address: link.mac }),
        ...mtu,
      };
    case 'vlan':
      return {
        id: link.id,
        type: 'vlan',
        vlan_id: link.vlanId,
        vlan_link: link.parent,
        vlan_mac_address: link.mac,
        ...mtu,
      };
  }
}

function networkJson(vm: ResolvedVm, n: Network, index: number): Json {
  const out: Json = {
    id: n.id ?? `network${index}`,
    link: n.link,
    network_id: derivedNetworkId(vm.uuid, index),
    type: n.type,
  };
  if (n.type === 'ipv4' || n.type === 'ipv6') {
    const cidr = parseCidr(n.address);
    if (!cidr) throw new Error(`render: ${n.address} is not a CIDR (the spec rules should have refused it)`);
    out.ip_address = formatIp({ family: cidr.family, value: cidr.address });
    out.netmask = prefixToNetmask(cidr.prefix, cidr.family);
    const routes: Json[] = [];
    // Nova has no gateway key: the default route is a 0.0.0.0/0.0.0.0 (or ::/::) entry, which cloud-init renders
    // as the interface's default route.
    if (n.gateway !== undefined) {
      const any = cidr.family === 4 ? '0.0.0.0' : '::';
      routes.push({ network: any, netmask: any, gateway: n.gateway });
    }
    for (const r of n.routes) {
      const to = parseCidr(r.to);
      if (!to) throw new Error(`render: route ${r.to} is not a CIDR (the spec rules should have refused it)`);
      routes.push({
        network: formatIp({ family: to.family, value: networkAddress(to) }),
        netmask: prefixToNetmask(to.prefix, to.family),
        gateway: r.via,
        // Not in Nova's schema; cloud-init keeps a route's metric (convert_net_json valid_keys["routes"]).
        ...(r.metric === undefined ? {} : { metric: r.metric }),
      });
    }
    out.routes = routes;
  }
  // A network's resolvers are its own plus the VM-wide ones. Nova's per-network `services` are read by cloud-init
  // >= 24.3 only; 20.4 and 22.4 instead copy a network's `dns_nameservers` key into the interface they render
  // (convert_net_json valid_keys["subnet"]), without which 22.4's netplan output has no resolver at all.
  const dns = [...new Set([...n.dns, ...vm.network.dns.servers])];
  if (dns.length > 0) {
    out.services = uniqueDns(dns);
    out.dns_nameservers = dns;
  }
  // Nova has no field for search domains; cloud-init copies a network's dns_search into the subnet it renders
  // (convert_net_json valid_keys["subnet"], every version from 20.4 on), so this is how they reach the guest.
  if (vm.network.dns.search.length > 0) out.dns_search = vm.network.dns.search;
  return out;
}

function uniqueDns(addresses: string[]): DnsService[] {
  return [...new Set(addresses)].map((address) => ({ type: 'dns', address }));
}

// Neutron's network UUID has no meaning for a vmmeta guest (cloud-init ignores network_id), but Nova's schema
// requires one. It is derived, purely, from the VM uuid: the last group plus index + 1, so it is stable across
// renders, distinct per network and never equal to the VM's own uuid.
export function derivedNetworkId(uuid: string, index: number): string {
  const head = uuid.slice(0, 24);
  const last = BigInt(`0x${uuid.slice(24)}`);
  const next = (last + BigInt(index + 1)) & 0xffffffffffffn;
  return head + next.toString(16).padStart(12, '0');
}
