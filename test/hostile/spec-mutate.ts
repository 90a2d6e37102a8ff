// Hostile YAML for the spec parser: seeded (so a failure replays from its seed and case number), derived from
// the example specs by byte flips, truncations, key deletions and duplications, type swaps, deep nesting, huge
// strings, random unicode and alias bombs, plus some text that was never YAML at all.
import { isMap, isSeq, parseDocument, type Document } from 'yaml';

export type Rng = () => number;

// mulberry32: tiny, fast and good enough to spread mutations; reproducible from one 32-bit seed.
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;

const ODD_SCALARS = [
  '',
  '~',
  'null',
  'yes',
  'no',
  'on',
  'true',
  '0',
  '-1',
  '0x7f',
  '0o17',
  '1e309',
  '-.inf',
  '.nan',
  '2001-01-01',
  '9007199254740993',
  '"\\u0000"',
  '"\\x7f"',
  '!!binary aGVsbG8=',
  '!!str 12',
  '!!int "x"',
  '!!float abc',
  '!custom tag',
  '&a x',
  '*undefined_anchor',
  '"ec2abcde-0000-4000-8000-000000000000"',
  '"../../etc/passwd"',
  '"a\\tb"',
  "'it''s'",
  '|',
  '>-',
  '"\\uD800"',
  '[]',
  '{}',
  '[[]]',
  '{a: {b: {}}}',
  '"52:54:00:12:34:01"',
  '"01:00:5e:00:00:01"',
  '"10.0.0.0/33"',
  '"::/0"',
  '"fe80::1%eth0/64"',
  '65536',
  '4095',
  '68',
  '67',
] as const;

const UNICODE = [
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\u00a0',
  '\u00e9',
  '\u200b',
  '\u202e',
  '\u2028',
  '\ufeff',
  '\ufffd',
  '\ud83d\ude00',
  '\ud800',
  '\u{10ffff}',
  '\u0085',
  '\t',
  '\r',
  '\r\n',
];

function randomUnicode(r: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.4) s += pick(r, UNICODE);
    else if (k < 0.7) s += String.fromCodePoint(int(r, 0x3000));
    else s += String.fromCodePoint(int(r, 0x110000)); // any code point, lone surrogates included
  }
  return s;
}

function randomValue(r: Rng, depth = 0): unknown {
  switch (int(r, depth > 2 ? 6 : 9)) {
    case 0:
      return int(r, 2) ? int(r, 70000) - 100 : r() * 1e6;
    case 1:
      return pick(r, [true, false, null]);
    case 2:
      return randomUnicode(r, int(r, 20));
    case 3:
      return pick(r, ODD_SCALARS);
    case 4:
      return 'x'.repeat(pick(r, [254, 255, 256, 1024, 70_000]));
    case 5:
      return pick(r, [Number.MAX_SAFE_INTEGER, -0, 1.5, 1e300]);
    case 6:
      return Array.from({ length: int(r, 4) }, () => randomValue(r, depth + 1));
    case 7:
      return Object.fromEntries(
        Array.from({ length: int(r, 4) }, () => [randomUnicode(r, 1 + int(r, 6)), randomValue(r, depth + 1)]),
      );
    default:
      return {
        id: 'x',
        type: pick(r, ['physical', 'bond', 'vlan', 'ipv4', 'ipv6_slaac', 'nic', 'bogus']),
        mac: pick(r, ODD_SCALARS),
      };
  }
}

// Every path (list of keys/indexes) to a node inside the parsed document.
function paths(doc: Document): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const walk = (node: unknown, at: Array<string | number>) => {
    if (isMap(node))
      for (const pair of node.items) {
        const key = (pair.key as { value?: unknown })?.value;
        if (typeof key !== 'string') continue;
        out.push([...at, key]);
        walk(pair.value, [...at, key]);
      }
    else if (isSeq(node)) node.items.forEach((item, i) => (out.push([...at, i]), walk(item, [...at, i])));
  };
  walk(doc.contents, []);
  return out;
}

function structural(r: Rng, seed: string): string {
  const doc = parseDocument(seed);
  const all = paths(doc);
  if (!all.length) return seed;
  const rounds = 1 + int(r, 3);
  for (let i = 0; i < rounds; i++) {
    const path = pick(r, all);
    const op = int(r, 4);
    // A path deleted by an earlier round throws in setIn; that round is simply skipped.
    try {
      if (op === 0) doc.deleteIn(path);
      else if (op === 1) doc.setIn(path, randomValue(r));
      else if (op === 2 && typeof path[path.length - 1] === 'string')
        doc.setIn(
          [
            ...path.slice(0, -1),
            pick(r, ['bogus', 'Name', 'uuid', 'mac', 'type', 'members', '__proto__', 'constructor']),
          ],
          randomValue(r),
        );
      else doc.setIn(path, doc.createNode(randomValue(r)));
    } catch {
      /* stale path */
    }
  }
  return doc.toString({ lineWidth: 0 });
}

function lines(r: Rng, seed: string): string {
  const ls = seed.split('\n');
  const i = int(r, ls.length);
  switch (int(r, 4)) {
    case 0:
      ls.splice(i, 1);
      break; // key deletion (text level: leaves children orphaned)
    case 1:
      ls.splice(i, 0, ls[i]!);
      break; // duplicate key
    case 2:
      ls[i] = ' '.repeat(int(r, 5)) + ls[i];
      break; // indentation shift
    default:
      ls.splice(i, 0, ls[int(r, ls.length)]!); // line moved elsewhere
  }
  return ls.join('\n');
}

function bytes(r: Rng, seed: string): string {
  const b = Buffer.from(seed, 'utf8');
  const flips = 1 + int(r, 8);
  for (let i = 0; i < flips && b.length; i++) {
    const at = int(r, b.length);
    b[at] = b[at]! ^ (1 << int(r, 8));
  }
  return b.toString('utf8');
}

function nesting(r: Rng): string {
  const n = pick(r, [100, 1000, 5000, 20_000]);
  return int(r, 2)
    ? `name: a\nmeta: ${'['.repeat(n)}${']'.repeat(n)}\n`
    : `name: a\nvendorData:\n${Array.from({ length: Math.min(n, 3000) }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')} x\n`;
}

function aliasBomb(r: Rng): string {
  const levels = 4 + int(r, 8);
  const ls = ['name: bomb', 'vendorData:', '  a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < levels; i++)
    ls.push(
      `  a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return ls.join('\n') + '\n';
}

export const MUTATORS = [
  'bytes',
  'truncate',
  'lines',
  'structural',
  'unicode',
  'huge',
  'nesting',
  'alias',
  'splice',
  'garbage',
] as const;
export type Mutator = (typeof MUTATORS)[number];
const CHEAP = MUTATORS.filter((m) => m !== 'huge' && m !== 'nesting');

// Which mutator case i uses: the expensive ones (a megabyte of text, 20,000 levels) one case in 25 each,
// so thousands of cases stay within seconds.
export function mutatorFor(i: number): Mutator {
  if (i % 50 === 7) return 'huge';
  if (i % 50 === 32) return 'nesting';
  return CHEAP[i % CHEAP.length]!;
}

export function mutate(r: Rng, seeds: string[], kind: Mutator): string {
  const seed = pick(r, seeds);
  switch (kind) {
    case 'bytes':
      return bytes(r, seed);
    case 'truncate':
      return seed.slice(0, int(r, seed.length + 1));
    case 'lines':
      return lines(r, seed);
    case 'structural':
      return structural(r, seed);
    case 'unicode': {
      const at = int(r, seed.length + 1);
      return seed.slice(0, at) + randomUnicode(r, 1 + int(r, 8)) + seed.slice(at);
    }
    case 'huge': {
      const big = pick(r, ['a', 'é', '\u{1F600}', ' ', 'x\n  ']).repeat(pick(r, [10_000, 300_000, 1_100_000]));
      return int(r, 2) ? `${seed}\nuserData: "${big}"\n` : seed.replace(/^name: .*$/m, `name: ${big}`);
    }
    case 'nesting':
      return nesting(r);
    case 'alias':
      return aliasBomb(r);
    case 'splice': {
      const other = pick(r, seeds);
      return seed.slice(0, int(r, seed.length)) + other.slice(int(r, other.length));
    }
    default:
      return randomUnicode(r, int(r, 400));
  }
}
