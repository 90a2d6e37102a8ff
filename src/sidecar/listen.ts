// Listen addresses as a spec or `--listen` writes them: "unix" (the VM's socket), "unix:/path", "127.0.0.1:0"
// (loopback, a free port picked by the kernel when binding: two sidecars can never race for it),
// "169.254.169.254:80", "[fe80::a9fe:a9fe%br0]:80" (cloud-init's OpenStack reader tries the IPv6 link-local
// address first; the zone names the VM's bridge or tap). Only IP literals: a sidecar never resolves names.
// 0.0.0.0 and :: would serve one VM's metadata to every network the host is on, so they need allowAll.
import { isIP } from 'node:net';
import type { ListenAddress } from './files.js';


export interface ParseListenOptions {
  socketPath: string; // what a bare "unix" means
  allowAll?: boolean;
}

export function parseListen(text: string, opts: ParseListenOptions): ListenAddress {
  if (text === 'unix') return { kind: 'unix', path: opts.socketPath };
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (!path.startsWith('/')) throw new Error(`listen "${text}": a socket path must be absolute`);
    return { kind: 'unix', path };
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) throw new Error(`listen "${text}": expected unix, unix:/path, IPV4:PORT or [IPV6]:PORT`);
  const host = (m[1] ?? m[2])!;
  const port = Number(m[3]);
  const [addr, zone] = host.split('%', 2) as [string, string | undefined];
  const family = isIP(addr);
  if (!family || (m[2] !== undefined && family !== 4) || (m[1] !== undefined && family !== 6)) throw new Error(`listen "${text}": not an IP address (IPv6 goes in brackets)`);
  if (zone !== undefined && (family !== 6 || !/^[A-Za-z0-9_.-]{1,15}$/.test(zone))) throw new Error(`listen "${text}": bad IPv6 zone`);
  if (port > 65535) throw new Error(`listen "${text}": port above 65535`);
  if (!opts.allowAll && (addr === '0.0.0.0' || /^[0:]+$/.test(addr))) {
    throw new Error(`listen "${text}": refusing every interface; pass --allow-all-interfaces if that is really meant`);
  }
  return { kind: 'tcp', host, port };
}
