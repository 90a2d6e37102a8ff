// Cross-field checks on spec.network: what zod cannot see because it needs two fields at once. Each problem
// names the field it is about and the field it conflicts with, so the operator can find both.
import type { SpecIssue } from './issues.js';
import type { Link, Network, NetworkConfig } from './schema.js';
import {
  cidrProblem,
  formatIp,
  networkAddress,
  broadcastAddress,
  networkCidr,
  parseCidr,
  parseIp,
  ipInSubnet,
  overlaps,
  type Cidr,
  type IpFamily,
} from './cidr.js';

const familyOf = (type: Network['type']): IpFamily => (type === 'ipv4' || type === 'ipv4_dhcp' ? 4 : 6);

export function checkLinks(links: Link[], at = 'network.links'): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const firstById = new Map<string, number>();
  links.forEach((link, i) => {
    const seen = firstById.get(link.id);
    if (seen !== undefined)
      issues.push({ path: `${at}[${i}].id`, message: `duplicates ${at}[${seen}].id ("${link.id}")` });
    else firstById.set(link.id, i);
  });
  const byId = new Map(links.map((l) => [l.id, l]));
  const bondOf = new Map<string, string>(); // member id -> bond id

  links.forEach((link, i) => {
    if (link.type !== 'bond') return;
    const seenHere = new Set<string>();
    link.members.forEach((member, k) => {
      const path = `${at}[${i}].members[${k}]`;
      const target = byId.get(member);
      if (seenHere.has(member)) return issues.push({ path, message: `"${member}" is listed twice` });
      seenHere.add(member);
      if (!target) return issues.push({ path, message: `no link "${member}" in ${at}` });
      if (target.type !== 'physical')
        return issues.push({ path, message: `"${member}" is a ${target.type}; bond members must be physical links` });
      const other = bondOf.get(member);
      if (other !== undefined)
        return issues.push({ path, message: `"${member}" is already a member of bond "${other}"` });
      bondOf.set(member, link.id);
    });
  });

  const vlanKeys = new Map<string, number>();
  links.forEach((link, i) => {
    if (link.type !== 'vlan') return;
    const path = `${at}[${i}].parent`;
    const parent = byId.get(link.parent);
    if (!parent) return issues.push({ path, message: `no link "${link.parent}" in ${at}` });
    if (parent.type === 'vlan')
      return issues.push({ path, message: `"${link.parent}" is a vlan; a VLAN goes on a physical link or a bond` });
    const bond = bondOf.get(link.parent);
    if (bond !== undefined)
      return issues.push({ path, message: `"${link.parent}" is a member of bond "${bond}"; put the VLAN on the bond` });
    const key = `${link.parent}/${link.vlanId}`;
    const seen = vlanKeys.get(key);
    if (seen !== undefined)
      issues.push({
        path: `${at}[${i}].vlanId`,
        message: `duplicates ${at}[${seen}] (VLAN ${link.vlanId} on "${link.parent}")`,
      });
    else vlanKeys.set(key, i);
  });

  // Linux gives a bond its first member's MAC and a VLAN its parent's, so a bond may share its first member's
  // MAC and a VLAN its parent's. Physical NICs may not share: cloud-init names interfaces by matching physical
  // links' MACs (convert_net_json). A bond with another member's MAC is refused too: cloud-init 20.4 copies a
  // bond's MAC onto every member (network_state handle_bond), so the first member would take the other's.
  const root = new Map<string, string>();
  const find = (id: string): string => {
    let r = id;
    while (root.has(r) && root.get(r) !== r) r = root.get(r)!;
    return r;
  };
  const join = (a: string, b: string): void => {
    if (byId.has(a) && byId.has(b) && find(a) !== find(b)) root.set(find(a), find(b));
  };
  for (const link of links) {
    if (link.type === 'bond' && link.members[0] !== undefined) join(link.id, link.members[0]);
    if (link.type === 'vlan') join(link.id, link.parent);
  }
  // A VLAN on a missing parent, a bond member or another VLAN cannot be judged; its own issue says why.
  const unjudged = (l: Link): boolean =>
    l.type === 'vlan' && (!byId.has(l.parent) || bondOf.has(l.parent) || byId.get(l.parent)!.type === 'vlan');
  const reported = new Set<string>(); // one report per group and MAC: VLANs on a bad bond need no second line
  links.forEach((link, i) => {
    if (unjudged(link) || reported.has(`${find(link.id)} ${link.mac}`)) return;
    for (let j = 0; j < i; j++) {
      const other = links[j]!;
      if (other.mac !== link.mac || unjudged(other)) continue;
      const bothPhysical = link.type === 'physical' && other.type === 'physical';
      if (bothPhysical || find(link.id) !== find(other.id)) {
        reported.add(`${find(link.id)} ${link.mac}`);
        const bond = [link, other].find((l) => l.type === 'bond');
        const member = bond?.type === 'bond' && [link, other].some((l) => l !== bond && bond.members.includes(l.id));
        const hint = member ? "; a bond may reuse only its first member's MAC" : '';
        issues.push({ path: `${at}[${i}].mac`, message: `duplicates ${at}[${j}].mac (${link.mac})${hint}` });
        break;
      }
    }
  });
  return issues;
}

function hostExample(c: Cidr): string {
  return `${formatIp({ family: c.family, value: networkAddress(c) + 1n })}/${c.prefix}`;
}

function addressIssues(net: Network & { address: string }, at: string): { issues: SpecIssue[]; cidr?: Cidr } {
  const problem = cidrProblem(net.address);
  if (problem) return { issues: [{ path: `${at}.address`, message: `not a CIDR: ${problem}` }] };
  const cidr = parseCidr(net.address)!;
  const want = familyOf(net.type);
  if (cidr.family !== want)
    return {
      issues: [
        { path: `${at}.address`, message: `${net.address} is IPv${cidr.family} but the network type is ${net.type}` },
      ],
    };
  const hostBits = cidr.family === 4 ? 32 - cidr.prefix : 128 - cidr.prefix;
  // /31, /32, /127 and /128 have no network or broadcast address to confuse with a host (RFC 3021, RFC 6164).
  if (hostBits >= 2 && cidr.address === networkAddress(cidr)) {
    return {
      issues: [
        {
          path: `${at}.address`,
          message: `${net.address} is the network address, not a host address (e.g. ${hostExample(cidr)})`,
        },
      ],
      cidr,
    };
  }
  if (hostBits >= 2 && cidr.family === 4 && cidr.address === broadcastAddress(cidr)) {
    return {
      issues: [{ path: `${at}.address`, message: `${net.address} is the broadcast address of ${networkCidr(cidr)}` }],
      cidr,
    };
  }
  return { issues: [], cidr };
}

function gatewayLike(value: string, cidr: Cidr | undefined, path: string, what: string): SpecIssue | null {
  const ip = parseIp(value);
  if (!ip) return { path, message: `${JSON.stringify(value)} is not an IP address` };
  if (!cidr) return null;
  if (ip.family !== cidr.family)
    return { path, message: `${value} is IPv${ip.family} but the network is IPv${cidr.family}` };
  if (!ipInSubnet(ip, cidr)) return { path, message: `${value} is outside the network's subnet ${networkCidr(cidr)}` };
  if (ip.value === cidr.address)
    return { path, message: `${value} is the network's own address; a ${what} must be another host` };
  return null;
}

export function dnsIssues(servers: string[], at: string): SpecIssue[] {
  return servers.flatMap((s, k) =>
    parseIp(s) ? [] : [{ path: `${at}[${k}]`, message: `${JSON.stringify(s)} is not an IP address` }],
  );
}

export function checkNetworks(config: NetworkConfig, at = 'network'): SpecIssue[] {
  const issues: SpecIssue[] = [...checkLinks(config.links, `${at}.links`)];
  const byId = new Map(config.links.map((l) => [l.id, l]));
  const bondOf = new Map(
    config.links.flatMap((l) => (l.type === 'bond' ? l.members.map((m) => [m, l.id] as const) : [])),
  );
  const firstNetId = new Map<string, number>();
  const statics: { i: number; cidr: Cidr; link: string }[] = [];

  config.networks.forEach((net, i) => {
    const here = `${at}.networks[${i}]`;
    if (net.id !== undefined) {
      const seen = firstNetId.get(net.id);
      if (seen !== undefined)
        issues.push({ path: `${here}.id`, message: `duplicates ${at}.networks[${seen}].id ("${net.id}")` });
      else firstNetId.set(net.id, i);
    }
    if (!byId.has(net.link)) {
      const known = config.links.map((l) => l.id).join(', ') || 'none';
      issues.push({ path: `${here}.link`, message: `no link "${net.link}" in ${at}.links (links: ${known})` });
    } else if (bondOf.has(net.link)) {
      issues.push({
        path: `${here}.link`,
        message: `"${net.link}" is a member of bond "${bondOf.get(net.link)}"; put the network on the bond`,
      });
    }
    issues.push(...dnsIssues(net.dns, `${here}.dns`));
    if (net.type !== 'ipv4' && net.type !== 'ipv6') {
      // A second DHCP/SLAAC entry of one kind on one link renders the same client twice.
      const twin = config.networks.findIndex((o) => o.link === net.link && o.type === net.type);
      if (twin < i)
        issues.push({
          path: `${here}.type`,
          message: `duplicates ${at}.networks[${twin}] (${net.type} on "${net.link}")`,
        });
      return;
    }
    const { issues: addr, cidr } = addressIssues(net, here);
    issues.push(...addr);
    const usable = addr.length === 0 ? cidr : undefined;
    if (usable) statics.push({ i, cidr: usable, link: net.link });
    if (net.gateway !== undefined) {
      const g = gatewayLike(net.gateway, usable, `${here}.gateway`, 'gateway');
      if (g) issues.push(g);
    }
    net.routes.forEach((route, r) => {
      const path = `${here}.routes[${r}]`;
      const problem = cidrProblem(route.to);
      if (problem) issues.push({ path: `${path}.to`, message: `not a CIDR: ${problem}` });
      else {
        const to = parseCidr(route.to)!;
        if (to.family !== familyOf(net.type))
          issues.push({
            path: `${path}.to`,
            message: `${route.to} is IPv${to.family} but the network type is ${net.type}`,
          });
        else if (to.address !== networkAddress(to))
          issues.push({
            path: `${path}.to`,
            message: `${route.to} has host bits set (the network is ${networkCidr(to)})`,
          });
      }
      const via = gatewayLike(route.via, usable, `${path}.via`, 'route via');
      if (via) issues.push(via);
    });
  });

  // Overlapping subnets on different links leave the guest two routes for the same destination.
  statics.forEach((a, x) => {
    for (const b of statics.slice(0, x)) {
      const path = `${at}.networks[${a.i}].address`;
      const other = `${at}.networks[${b.i}].address`;
      if (a.cidr.family === b.cidr.family && a.cidr.address === b.cidr.address) {
        issues.push({
          path,
          message: `duplicates ${other} (${formatIp({ family: a.cidr.family, value: a.cidr.address })})`,
        });
        break;
      }
      if (a.link !== b.link && overlaps(a.cidr, b.cidr)) {
        issues.push({
          path,
          message: `${networkCidr(a.cidr)} overlaps ${other} (${networkCidr(b.cidr)} on link "${b.link}")`,
        });
        break;
      }
    }
  });
  issues.push(...dnsIssues(config.dns.servers, `${at}.dns.servers`));
  // cloud-init applies resolvers per interface (network_data.json networks, network-config links): with no link
  // there is no network document, and DNS would be dropped without a word.
  if (config.links.length === 0 && (config.dns.servers.length > 0 || config.dns.search.length > 0)) {
    issues.push({
      path: `${at}.dns`,
      message:
        "has no interface to go on: add the NIC to network.links (its mac) so cloud-init applies it; without links the guest uses its DHCP server's DNS",
    });
  }
  return issues;
}
