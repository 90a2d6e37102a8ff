// Private network namespaces for tests (named vmm13-<purpose>-<pid>, so a cleanup never hits another run's),
// with the host side of tap mode set up inside them: the metadata address on lo, a bridge carrying
// fe80::a9fe:a9fe, and veth "guests" on ports named like taps. Everything goes when the test ends, failed or not.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VMMETA_BIN } from './sidecar.js';

export const NETNS_TOOLS_OK =
  process.getuid?.() === 0 &&
  ['ip', 'nft', 'curl'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);

export interface Netns {
  name: string;
  sh(script: string): string; // runs inside, throws on failure, returns stdout
  exec(argv: string[], o?: { env?: NodeJS.ProcessEnv; input?: string }): SpawnSyncReturns<string>;
  vmmeta(root: string, args: string[], env?: NodeJS.ProcessEnv): SpawnSyncReturns<string>;
  ruleset(): string;
  destroy(): void;
}

export function makeNetns(purpose: string): Netns {
  const name = `vmm13-${purpose}-${process.pid}`;
  const made: string[] = [name];
  const run = (argv: string[]) => {
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  run(['ip', 'netns', 'add', name]);
  const ns: Netns = {
    name,
    exec: (argv, o = {}) =>
      spawnSync('ip', ['netns', 'exec', name, ...argv], {
        encoding: 'utf8',
        env: o.env ?? process.env,
        input: o.input ?? '',
        timeout: 60_000,
      }),
    sh: (script) => {
      const r = ns.exec(['sh', '-ec', script]);
      if (r.status !== 0) throw new Error(`in ${name}: ${script}\n${r.stderr}`);
      return r.stdout;
    },
    vmmeta: (root, args, env = {}) =>
      ns.exec([process.execPath, VMMETA_BIN, ...args], {
        env: { ...process.env, VMMETA_STATE_DIR: root, NO_COLOR: '1', ...env },
      }),
    ruleset: () => ns.sh('nft list ruleset'),
    destroy: () => {
      for (const n of made.reverse()) spawnSync('ip', ['netns', 'del', n]);
    },
  };
  (ns as Netns & { track(n: string): void }).track = (n: string) => made.push(n);
  return ns;
}

// The host half of docs/sidecar.md "Tap mode", as `vmmeta host-setup` would do it, inside the namespace.
// A bridge without an address of its own takes its lowest port's MAC, and takes a new one whenever a lower port
// joins: a guest's cached gateway MAC then leads nowhere and its SYNs are flooded to the other ports instead of
// reaching the host (tap-mode.test.ts lost one in four runs this way once a second veth joined). Set, it stays.
export const BRIDGE_MAC = '02:56:6d:00:00:01';

export function hostSide(ns: Netns, bridge = 'br0', cidr = '192.0.2.1/24'): void {
  ns.sh(`ip link set lo up
ip addr add 169.254.169.254/32 dev lo
ip link add ${bridge} address ${BRIDGE_MAC} type bridge
ip link set ${bridge} up
ip addr add ${cidr} dev ${bridge}
ip addr add fe80::a9fe:a9fe/64 dev ${bridge} nodad`);
}

// A "guest": its own namespace on a veth whose host end is named like the VM's tap and sits on the bridge.
export function vethGuest(ns: Netns, tap: string, address: string, bridge: string | null = 'br0'): string {
  const g = `${ns.name}-${tap}`.slice(0, 40);
  spawnSync('ip', ['netns', 'add', g]);
  (ns as Netns & { track(n: string): void }).track(g);
  ns.sh(`ip link add ${tap} type veth peer name eth0 netns ${g}
${bridge ? `ip link set ${tap} master ${bridge}` : ''}
ip link set ${tap} up`);
  const r = spawnSync(
    'sh',
    [
      '-ec',
      `ip netns exec ${g} sysctl -qw net.ipv6.conf.eth0.accept_dad=0
ip -n ${g} link set lo up
ip -n ${g} link set eth0 up
ip -n ${g} addr add ${address}/24 dev eth0
ip -n ${g} route add 169.254.169.254/32 via ${address.replace(/\.\d+$/, '.1')}`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return g;
}

// curl from a guest namespace: the body, or "FAILED(<curl exit>)" (7 = refused, 28 = timed out).
export function curlFrom(g: string, url: string): string {
  const r = spawnSync('ip', ['netns', 'exec', g, 'curl', '-s', '-m', '3', url], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : `FAILED(${r.status})`;
}

export function stateOf(root: string, vm: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(root, vm, 'state.json'), 'utf8')) as Record<string, unknown>;
}
