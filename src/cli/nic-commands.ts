// `vmmeta nic add|remove`: flag wiring only; the command module loads inside the action.
import type { Command } from 'commander';
import { action, type Io } from './context.js';
import { examples } from './help.js';
import { UserError, EXIT } from '../errors.js';
import type { NicResult } from './commands/nic.js';
import type { FormatOptions } from './output.js';

function formatNic(r: NicResult, _o: FormatOptions): string {
  void _o;
  const addrs = r.nic.networks.map((n) => ('address' in n ? n.address : n.type)).join(', ');
  const where = r.nic.bus ? ` on ${r.nic.bus}` : '';
  const verb = r.action === 'added' ? `plugged into ${r.vm}${where}` : `unplugged from ${r.vm}`;
  const docs =
    r.action === 'added'
      ? 'network_data.json and the EC2 macs/ tree list it'
      : 'its link is gone from network_data.json and the EC2 macs/ tree';
  const sidecar =
    r.sidecar === 'reloaded'
      ? 'the sidecar serves them now'
      : 'the sidecar is not running: a guest reads them once it is started (vmmeta start)';
  return `${r.nic.id} (${r.nic.mac}, ${addrs}) ${verb} in ${r.ms.hypervisor} ms; ${docs}; ${sidecar}. instance-id ${r.instanceId} unchanged.\n`;
}

function seconds(v: string): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || !(n > 0) || n > 3600)
    throw new UserError(`--timeout expects seconds between 0 and 3600, got ${JSON.stringify(v)}`, {
      exitCode: EXIT.invalid,
    });
  return n;
}

function mtu(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n))
    throw new UserError(`--mtu expects a whole number, got ${JSON.stringify(v)}`, { exitCode: EXIT.invalid });
  return n;
}

export function registerNicCommands(program: Command, io: Io): void {
  const nic = program
    .command('nic')
    .description(
      'hot-plug a NIC into a running VM (QMP), or unplug it; its metadata follows in the order cloud-init needs',
    );
  nic
    .command('add')
    .description(
      'plug a NIC into the running VM (netdev_add + device_add), then add its link to network_data.json and the EC2 macs/ tree',
    )
    .argument('<vm>', 'the VM name')
    .requiredOption('--id <link>', 'the link id (1-15 characters; also the name NoCloud would give the interface)')
    .requiredOption('--mac <mac>', "the NIC's MAC address (aa:bb:cc:dd:ee:ff)")
    .option(
      '--address <cidr>',
      'a static address on it, IPv4 or IPv6 (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--gateway <ip>', 'the default gateway of the static address of its family')
    .option('--dhcp', 'DHCPv4 on it instead of (or besides) a static address')
    .option('--mtu <n>', 'the link MTU', mtu)
    .option('--tap <ifname>', 'back it with this host tap (script=no) instead of a restricted user-mode network')
    .option(
      '--libvirt <domain>',
      'the VM is this libvirt domain: virsh attach-device --live instead of QMP (nic remove follows)',
    )
    .option('--connect <uri>', 'with --libvirt: the libvirt connection URI (virsh -c)')
    .addHelpText(
      'after',
      `
The guest configures it without a reboot when the spec has hotplug.network: true (cloud-init 22.4 and later;
20.4 never does). Exit codes: 0 done, 1 the VM is not running or QEMU refused (nothing changed), 2 bad flags,
3 no such VM, 4 the MAC or id is taken, or another command holds the VM.
${examples(
  'vmmeta nic add vm1 --id data0 --mac 52:54:00:aa:00:10 --address 10.20.0.5/24',
  'vmmeta nic add vm1 --id data1 --mac 52:54:00:aa:00:11 --dhcp --tap tap-vm1b',
  'vmmeta nic add web1 --libvirt web1 --id data0 --mac 52:54:00:aa:00:10 --address 10.20.0.5/24',
  'vmmeta nic add --json vm1 --id data0 --mac 52:54:00:aa:00:10 --address 10.20.0.5/24 | jq .nic',
)}`,
    )
    .action(
      action(
        io,
        async (ctx, [vm], o) =>
          (await import('./commands/nic.js')).nicAdd({
            root: ctx.root,
            vm: vm!,
            id: o.id as string,
            mac: o.mac as string,
            ...(o.address ? { addresses: o.address as string[] } : {}),
            ...(o.gateway ? { gateway: o.gateway as string } : {}),
            ...(o.dhcp ? { dhcp: true } : {}),
            ...(o.mtu !== undefined ? { mtu: o.mtu as number } : {}),
            ...(o.tap ? { tap: o.tap as string } : {}),
            ...(o.libvirt
              ? { libvirt: { domain: o.libvirt as string, ...(o.connect ? { uri: o.connect as string } : {}) } }
              : {}),
          }),
        formatNic,
      ),
    );
  nic
    .command('remove')
    .description(
      'unplug a hot-plugged NIC (device_del, wait for DEVICE_DELETED, netdev_del), then drop its link from the documents',
    )
    .argument('<vm>', 'the VM name')
    .argument('<id>', 'the link id given to nic add')
    .option('--timeout <s>', 'how long to wait for the guest to release the device, in seconds', seconds, 30)
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 1 the VM is not running or the guest did not release the device (the link is kept),
2 the link comes from the spec, 3 no such VM or hot-plugged NIC, 4 another command holds the VM.
${examples('vmmeta nic remove vm1 data0', 'vmmeta nic remove --json vm1 data0 --timeout 60')}`,
    )
    .action(
      action(
        io,
        async (ctx, [vm, id], o) =>
          (await import('./commands/nic.js')).nicRemove({
            root: ctx.root,
            vm: vm!,
            id: id!,
            timeoutMs: (o.timeout as number) * 1000,
          }),
        formatNic,
      ),
    );
}
