// `vmmeta nic add` flags -> a HotNic, checked against the VM before QEMU is touched: the MAC and the id must be
// free, the link and its networks must pass the spec's own network rules together with the VM's other links.
// Pure: no I/O.
import { z } from 'zod';
import { networkSchema, physicalLinkSchema, type Network, type ResolvedVm } from '../spec/schema.js';
import { checkLinks, checkNetworks } from '../spec/rules-network.js';
import { parseCidr } from '../spec/cidr.js';
import { decodeResolved, type StoredState } from '../state/store.js';
import { DEFAULT_ROOT_PORTS } from '../hypervisor/qemu-args.js';
import { freeRootPort } from '../hypervisor/hotplug.js';
import { hotplugSummary } from '../spec/hotplug.js';
import { EXIT, UserError } from '../errors.js';
import { formatIssue, type SpecIssue } from '../spec/issues.js';
import type { HotNic } from './overrides.js';

export interface NicAddInput {
  id: string;
  mac: string;
  addresses?: string[]; // CIDR, IPv4 or IPv6 (repeatable)
  gateway?: string;
  dhcp?: boolean;
  mtu?: number;
  tap?: string; // host tap the NIC's backend is (default: a restricted user-mode network)
  libvirt?: { domain: string; uri?: string }; // plug through libvirt (virsh attach-device --live) instead of QMP
}

function invalid(issues: SpecIssue[]): UserError {
  return new UserError(`invalid NIC (${issues.length} problem${issues.length === 1 ? '' : 's'})`, {
    exitCode: EXIT.invalid,
    details: issues.map(formatIssue),
  });
}

function zodIssues(r: z.ZodSafeParseResult<unknown>, at: string): SpecIssue[] {
  return r.success
    ? []
    : r.error.issues.map((i) => ({ path: [at, ...i.path.map(String)].join('.'), message: i.message }));
}

export function newHotNic(o: NicAddInput, state: StoredState, nics: readonly HotNic[], now: Date): HotNic {
  const vm: ResolvedVm = decodeResolved(state.resolved);
  const link = physicalLinkSchema.safeParse({
    id: o.id,
    type: 'physical',
    mac: o.mac,
    ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
  });
  const issues: SpecIssue[] = zodIssues(link, '--id/--mac');
  if (!o.dhcp && !o.addresses?.length)
    issues.push({ path: '--address', message: 'give --address CIDR (repeatable) or --dhcp' });
  if (o.tap !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(o.tap))
    issues.push({ path: '--tap', message: 'not a Linux interface name (1-15 letters, digits, "_", "." or "-")' });
  if (o.gateway !== undefined && !o.addresses?.length)
    issues.push({ path: '--gateway', message: 'needs a static --address' });
  const raw: unknown[] = [];
  if (o.dhcp) raw.push({ link: o.id, type: 'ipv4_dhcp' });
  for (const address of o.addresses ?? []) {
    const family = parseCidr(address)?.family;
    const gateway =
      o.gateway !== undefined && parseCidr(`${o.gateway}/${family === 6 ? 128 : 32}`)?.family === family
        ? { gateway: o.gateway }
        : {};
    raw.push({ link: o.id, type: family === 6 ? 'ipv6' : 'ipv4', address, ...gateway });
  }
  const networks: Network[] = [];
  raw.forEach((n, i) => {
    const r = networkSchema.safeParse(n);
    if (r.success) networks.push(r.data);
    else issues.push(...zodIssues(r, `networks[${i}]`));
  });
  if (issues.length || !link.success) throw invalid(issues);

  // Taken: a conflict with what the VM already has (exit 4), named by the link that holds it.
  for (const l of vm.network.links) {
    if (l.id === link.data.id) throw taken(`link id ${l.id}`, l.id, vm.name);
    if (l.mac === link.data.mac) throw taken(`MAC ${l.mac}`, l.id, vm.name);
  }
  const config = {
    ...vm.network,
    links: [...vm.network.links, link.data],
    networks: [...vm.network.networks, ...networks],
  };
  const rules = [...checkLinks(config.links), ...checkNetworks(config)];
  if (rules.length) throw invalid(rules);

  const hp = hotplugSummary(vm, DEFAULT_ROOT_PORTS);
  let port: number | null = null;
  if (hp.machine === 'q35') {
    const free = freeRootPort(
      hp.rootPorts,
      nics.map((n) => n.port),
    );
    if (free === undefined) {
      throw new UserError(`${vm.name} has no spare root port left (${hp.rootPorts}, all holding hot-plugged NICs)`, {
        exitCode: EXIT.conflict,
        hint: `remove one (vmmeta nic remove ${vm.name} <id>), or raise hotplug.rootPorts in the spec, update, and restart the VM`,
      });
    }
    port = free;
  }
  const nic: HotNic = {
    link: link.data,
    networks,
    backend: o.tap !== undefined ? { type: 'tap', ifname: o.tap } : { type: 'user' },
    port,
    addedAt: now.toISOString(),
  };
  if (o.libvirt) nic.via = { libvirt: o.libvirt };
  return nic;
}

function taken(what: string, holder: string, vm: string): UserError {
  return new UserError(`${what} is already taken on ${vm} (link ${holder})`, {
    exitCode: EXIT.conflict,
    details: ['nothing changed'],
    hint: `pick another, or remove the hot-plugged one first: vmmeta nic remove ${vm} ${holder}`,
  });
}
