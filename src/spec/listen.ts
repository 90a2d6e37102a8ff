// The one listen-address grammar, shared by the spec rules, `--listen` on create/update and `vmmeta serve`, so a
// spec that validates is a spec whose sidecar can bind, and every caller says the same thing about a bad entry.
// "unix" (the VM's 0600 socket), "unix:/path", "127.0.0.1:0" (loopback, a free port picked by the kernel when
// binding), "169.254.169.254:80", "[fe80::a9fe:a9fe%br0]:80" (cloud-init's OpenStack reader tries the IPv6
// link-local address first; the zone names the VM's bridge or tap). Only IP literals: a sidecar never resolves
// names. 0.0.0.0 and :: would serve one VM's metadata to every network the host is on, so they need allowAll.
// Pure (node:net's isIP is a parser, not I/O), and loaded by the lean sidecar entry (test/unit/sidecar/lean.test.ts).
import { isIP } from 'node:net';

export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export interface ParseListenOptions {
  socketPath: string; // what a bare "unix" means
  allowAll?: boolean;
}

// The flag and the spec field that allow an all-interfaces listener, named in the refusal everywhere.
export const ALLOW_ALL_HINT =
  'set sidecar.allowAllInterfaces: true in the spec (vmmeta serve: --allow-all-interfaces) if that is really meant';

export class ListenError extends Error {}

// The reason an entry is refused, without the entry itself (spec rules put the field path in front).
export function listenProblem(text: string, allowAll = false): string | null {
  try {
    parseListen(text, { socketPath: '/', allowAll });
    return null;
  } catch (err) {
    if (err instanceof ListenError) return err.message;
    throw err;
  }
}

export function parseListen(text: string, opts: ParseListenOptions): ListenAddress {
  const fail = (why: string): never => {
    throw new ListenError(`"${text}": ${why}`);
  };
  if (text === 'unix') return { kind: 'unix', path: opts.socketPath };
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (!path.startsWith('/')) fail('a socket path must be absolute');
    return { kind: 'unix', path };
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return fail('expected unix, unix:/path, IPV4:PORT or [IPV6]:PORT');
  const host = (m[1] ?? m[2])!;
  const port = Number(m[3]);
  const cut = host.indexOf('%');
  const addr = cut < 0 ? host : host.slice(0, cut);
  const zone = cut < 0 ? undefined : host.slice(cut + 1);
  const family = isIP(addr);
  if (!family || (m[2] !== undefined && family !== 4) || (m[1] !== undefined && family !== 6))
    fail(`${JSON.stringify(addr)} is not an IP address (IPv6 goes in brackets)`);
  // A zone is an interface name (IFNAMSIZ: 15 bytes); only link-local addresses need one.
  if (zone !== undefined && (family !== 6 || !isInterfaceName(zone)))
    fail(`bad IPv6 zone ${JSON.stringify(zone)} (an interface name of at most 15 letters, digits, "_", "." or "-")`);
  if (port > 65535) fail(`port ${port} is above 65535`);
  if (!opts.allowAll && (addr === '0.0.0.0' || /^[0:]+$/.test(addr)))
    fail(
      `refusing every interface (one VM's metadata would be open to every network the host is on); ${ALLOW_ALL_HINT}`,
    );
  return { kind: 'tcp', host, port };
}

// Linux interface names (dev_valid_name): 1-15 bytes, no "/", ":" or white space, not "." or "..". vmmeta keeps
// to the characters ip(8), nft and libvirt all take without quoting.
export function isInterfaceName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,15}$/.test(name) && name !== '.' && name !== '..';
}
