// `inspect`'s live view of a tap-mode VM's path (reads only): the tap exists, is up and sits on the expected
// bridge (sysfs), the VM's tables are loaded and match what it needs (nft list), and which of the guest's
// requests arrived on the metadata listeners, i.e. through the tap, rather than on the operator's socket.
import { readFile, readlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { loadedVmRules, rulesMatch } from './nft.js';
import type { TapRules } from './ruleset.js';

export interface TapPathView {
  device: string;
  bridge: string | null;
  port: number;
  tap: { exists: boolean; up: boolean; master: string | null };
  rules: 'match' | 'missing' | 'different' | string; // or "unknown: <why>" when nft cannot be asked
  requestsViaTap: number;
  lastViaTap: string | null; // time of the last request through the tap
}

export async function tapPathView(
  r: TapRules,
  requests: Array<{ time?: string; listener?: string }>,
): Promise<TapPathView> {
  const sys = `/sys/class/net/${r.device}`;
  const state = await readFile(`${sys}/operstate`, 'utf8').then(
    (t) => t.trim(),
    () => null,
  );
  const master = await readlink(`${sys}/master`).then(
    (l) => basename(l),
    () => null,
  );
  let rules: TapPathView['rules'];
  try {
    const loaded = await loadedVmRules(r.vm);
    rules = loaded.inet === null && loaded.bridge === null ? 'missing' : rulesMatch(r, loaded) ? 'match' : 'different';
  } catch (err) {
    rules = `unknown: ${(err as Error).message}`;
  }
  const via = requests.filter(
    (q) => q.listener !== undefined && !q.listener.startsWith('unix:') && q.listener.endsWith(`:${r.port}`),
  );
  return {
    device: r.device,
    bridge: r.bridge,
    port: r.port,
    // A tap QEMU holds reads "unknown" or "up"; one without a guest attached reads "down".
    tap: { exists: state !== null, up: state === 'up' || state === 'unknown', master },
    rules,
    requestsViaTap: via.length,
    lastViaTap: via.at(-1)?.time ?? null,
  };
}

// What is wrong with the path, as inspect warnings.
export function tapPathWarnings(v: TapPathView, vm: string): Array<{ code: string; message: string; hint: string }> {
  const out: Array<{ code: string; message: string; hint: string }> = [];
  if (!v.tap.exists)
    out.push({
      code: 'tap-missing',
      message: `tap ${v.device} does not exist`,
      hint: `ip tuntap add dev ${v.device} mode tap${v.bridge ? ` && ip link set ${v.device} master ${v.bridge} up` : ''} (libvirt creates it when the domain starts)`,
    });
  else if (v.tap.master !== v.bridge)
    out.push({
      code: 'tap-bridge',
      message: `tap ${v.device} is ${v.tap.master ? `on bridge ${v.tap.master}` : 'on no bridge'}, not ${v.bridge ?? 'routed'}`,
      hint: v.bridge ? `ip link set ${v.device} master ${v.bridge}` : `ip link set ${v.device} nomaster`,
    });
  if (v.rules !== 'match')
    out.push({ code: 'tap-rules', message: `nftables rules of ${vm}: ${v.rules}`, hint: `vmmeta start ${vm}` });
  return out;
}
