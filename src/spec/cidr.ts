// IPv4/IPv6 addresses and CIDRs as bigints. Written here rather than taken from node:net so spec/ stays free of
// node modules, and so the rules can say *why* a string is not an address (node's isIP only says no).
export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

export interface Cidr {
  family: IpFamily;
  address: bigint; // as written, host bits included
  prefix: number;
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

// Dotted quad with decimal octets. Leading zeros are refused: "010" is octal to inet_aton and decimal to others,
// so the guest and the spec could disagree about the address.
function parseV4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

// RFC 4291 text form: eight groups, one "::" run, an optional trailing dotted quad. No zone ids ("%eth0"): they
// mean nothing in a guest's network config.
function parseV6(s: string): bigint | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (text: string): number[] | null => {
    if (text === '') return [];
    const out: number[] = [];
    const items = text.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseV4(item);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(item)) {
        out.push(parseInt(item, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  // A dotted quad may only end the address.
  if (halves.length === 2 && head.length > 0 && halves[0]!.includes('.')) return null;
  let value = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail]) value = (value << 16n) | BigInt(g);
  return value;
}

export function parseIp(s: string): IpAddress | null {
  if (typeof s !== 'string') return null;
  if (s.includes(':')) {
    const value = parseV6(s);
    return value === null ? null : { family: 6, value };
  }
  const value = parseV4(s);
  return value === null ? null : { family: 4, value };
}

// Why a string is not a CIDR, or null when it is one.
export function cidrProblem(s: string): string | null {
  if (typeof s !== 'string') return 'not a string';
  const slash = s.indexOf('/');
  if (slash < 0) return 'no prefix length (expected ADDRESS/PREFIX, e.g. 192.0.2.10/24)';
  const ip = parseIp(s.slice(0, slash));
  if (!ip) return `${JSON.stringify(s.slice(0, slash))} is not an IPv4 or IPv6 address`;
  const prefixText = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return `prefix length ${JSON.stringify(prefixText)} is not a number`;
  const max = BITS[ip.family];
  if (Number(prefixText) > max) return `prefix length ${prefixText} is above ${max}`;
  return null;
}

export function parseCidr(s: string): Cidr | null {
  if (cidrProblem(s) !== null) return null;
  const slash = s.indexOf('/');
  const ip = parseIp(s.slice(0, slash))!;
  return { family: ip.family, address: ip.value, prefix: Number(s.slice(slash + 1)) };
}

function maskBits(family: IpFamily, prefix: number): bigint {
  const bits = BITS[family];
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

export function networkAddress(c: Cidr): bigint {
  return c.address & maskBits(c.family, c.prefix);
}

export function broadcastAddress(c: Cidr): bigint {
  return networkAddress(c) | (((1n << BigInt(BITS[c.family])) - 1n) ^ maskBits(c.family, c.prefix));
}

// The CIDR with its host bits cleared, as text ("192.0.2.10/24" -> "192.0.2.0/24").
export function networkCidr(c: Cidr): string {
  return `${formatIp({ family: c.family, value: networkAddress(c) })}/${c.prefix}`;
}

export function ipInSubnet(ip: IpAddress | string, subnet: Cidr | string): boolean {
  const a = typeof ip === 'string' ? parseIp(ip) : ip;
  const c = typeof subnet === 'string' ? parseCidr(subnet) : subnet;
  if (!a || !c || a.family !== c.family) return false;
  const mask = maskBits(c.family, c.prefix);
  return (a.value & mask) === (c.address & mask);
}

// Two subnets overlap exactly when the shorter prefix contains the other's network address.
export function overlaps(a: Cidr | string, b: Cidr | string): boolean {
  const x = typeof a === 'string' ? parseCidr(a) : a;
  const y = typeof b === 'string' ? parseCidr(b) : b;
  if (!x || !y || x.family !== y.family) return false;
  const prefix = Math.min(x.prefix, y.prefix);
  const mask = maskBits(x.family, prefix);
  return (x.address & mask) === (y.address & mask);
}

// Netmask text as Nova's network_data.json writes it: dotted quad for IPv4, compressed colon form for IPv6
// ("ffff:ffff:ffff:ffff::" for /64).
export function prefixToNetmask(prefix: number, family: IpFamily = 4): string {
  const bits = BITS[family];
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits)
    throw new RangeError(`prefix ${prefix} out of range for IPv${family}`);
  return formatIp({ family, value: maskBits(family, prefix) });
}

// RFC 5952 canonical text: lower case, no leading zeros, the longest run (first on a tie) of two or more zero
// groups shortened to "::".
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((ip.value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}
