// What belongs to the host rather than to one tap-mode VM: 169.254.169.254 on lo (the sidecars bind it),
// fe80::a9fe:a9fe on each bridge (or routed tap) the VMs use, IPv6 enabled there, and the nf_tables modules the
// rules need. `vmmeta host-setup` applies the missing parts (idempotent) and `--undo` removes the addresses;
// `vmmeta doctor` reports each part with the command that fixes it. Steps are data (hostSteps, pure); running
// them is the rest of this file.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { EXIT, UserError } from '../errors.js';
import { isInterfaceName } from '../spec/listen.js';
import { METADATA_V4, METADATA_V6 } from './addresses.js';
import { checkVmRules } from './nft.js';

const exec = promisify(execFile);

export interface HostStep {
  id: string; // "lo 169.254.169.254/32", "br0 fe80::a9fe:a9fe/64", "br0 ipv6", "kernel nf_tables"
  fix: string[]; // argv that makes it so
  undo?: string[]; // argv that takes it back (absent: left as it is by --undo)
}

// nf_tables and its NAT chain type (the bridge family's filter chains are in nf_tables itself). Checked by what
// matters, a dry run of a VM's rules being accepted by the kernel, since either may be built in.
export const MODULES = ['nf_tables', 'nft_chain_nat'];

export function hostSteps(ifaces: string[]): HostStep[] {
  for (const i of ifaces)
    if (!isInterfaceName(i))
      throw new UserError(`--bridge ${JSON.stringify(i)}: not a Linux interface name`, { exitCode: EXIT.invalid });
  const steps: HostStep[] = [{ id: 'kernel nf_tables', fix: ['modprobe', '-a', ...MODULES] }];
  steps.push({
    id: `lo ${METADATA_V4}/32`,
    fix: ['ip', 'addr', 'add', `${METADATA_V4}/32`, 'dev', 'lo'],
    undo: ['ip', 'addr', 'del', `${METADATA_V4}/32`, 'dev', 'lo'],
  });
  for (const i of [...new Set(ifaces)].sort()) {
    steps.push({ id: `${i} ipv6`, fix: ['sysctl', '-qw', `net.ipv6.conf.${i}.disable_ipv6=0`] });
    // nodad: the address is shared by every bridge's host side and must answer at once, not after DAD.
    steps.push({
      id: `${i} ${METADATA_V6}/64`,
      fix: ['ip', 'addr', 'add', `${METADATA_V6}/64`, 'dev', i, 'nodad'],
      undo: ['ip', 'addr', 'del', `${METADATA_V6}/64`, 'dev', i],
    });
  }
  return steps;
}

async function addresses(dev: string): Promise<string[] | null> {
  try {
    const { stdout } = await exec('ip', ['-j', 'addr', 'show', 'dev', dev]);
    const doc = JSON.parse(stdout) as Array<{ addr_info?: Array<{ local: string; prefixlen: number }> }>;
    return doc.flatMap((d) => (d.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
  } catch {
    return null; // no such interface
  }
}

// Whether a step is already in place; a missing interface is `null` (nothing to do until it exists).
export async function stepDone(s: HostStep): Promise<boolean | null> {
  const [what, arg] = s.id.split(' ') as [string, string];
  if (what === 'kernel')
    return checkVmRules({ vm: 'host-setup-probe', device: 'probe0', bridge: 'probe1', port: 1 }).then(
      () => true,
      () => false,
    );
  if (arg === 'ipv6')
    return readFile(`/proc/sys/net/ipv6/conf/${what}/disable_ipv6`, 'utf8').then(
      (t) => t.trim() === '0',
      () => null,
    );
  const have = await addresses(what);
  return have === null ? null : have.includes(arg);
}

export interface StepResult {
  id: string;
  action: 'added' | 'present' | 'removed' | 'absent' | 'no such interface' | 'left as it is';
}

export async function hostSetup(o: { ifaces: string[]; undo?: boolean }): Promise<StepResult[]> {
  const out: StepResult[] = [];
  for (const s of hostSteps(o.ifaces)) {
    const done = await stepDone(s);
    if (done === null) out.push({ id: s.id, action: 'no such interface' });
    else if (o.undo) {
      if (!s.undo) out.push({ id: s.id, action: 'left as it is' });
      else if (!done) out.push({ id: s.id, action: 'absent' });
      else out.push((await run(s.undo), { id: s.id, action: 'removed' }));
    } else if (done) out.push({ id: s.id, action: 'present' });
    else out.push((await run(s.fix), { id: s.id, action: 'added' }));
  }
  return out;
}

async function run(argv: string[]): Promise<void> {
  try {
    await exec(argv[0]!, argv.slice(1));
  } catch (err) {
    const e = err as { stderr?: string; code?: string };
    throw new UserError(`${argv.join(' ')} failed: ${(e.stderr ?? e.code ?? String(err)).trim()}`, {
      exitCode: EXIT.failure,
      hint: 'host-setup needs root (CAP_NET_ADMIN); the steps before this one were applied and are kept',
    });
  }
}
