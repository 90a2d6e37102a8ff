// "did you mean" for unknown keys: the keys allowed at that place, read from the generated JSON Schema so the
// suggestion can never name a key the schema does not have.
import { sharedSpecJsonSchema } from './json-schema.js';

type Node = Record<string, unknown>;

function branches(node: Node, value: unknown): Node[] {
  const options = (node.oneOf ?? node.anyOf) as Node[] | undefined;
  if (!options) return [node];
  const type = value !== null && typeof value === 'object' ? (value as Record<string, unknown>).type : undefined;
  const matching = options.filter(
    (o) => ((o.properties as Node | undefined)?.type as Node | undefined)?.const === type,
  );
  return (matching.length ? matching : options).flatMap((o) => branches(o, value));
}

function allowedKeys(path: readonly PropertyKey[], value: unknown): string[] {
  let nodes: Node[] = [sharedSpecJsonSchema() as Node];
  for (const segment of path) {
    nodes = nodes
      .flatMap((n) => branches(n, undefined))
      .flatMap((n): Node[] => {
        if (typeof segment === 'number') return n.items ? [n.items as Node] : [];
        const child = (n.properties as Node | undefined)?.[String(segment)] ?? n.additionalProperties;
        return child && typeof child === 'object' ? [child as Node] : [];
      });
  }
  return [
    ...new Set(
      nodes.flatMap((n) => branches(n, value)).flatMap((n) => Object.keys((n.properties as Node | undefined) ?? {})),
    ),
  ];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

// Same letters ignoring case, "_" and "-" (user_data -> userData), else one or two typos away.
export function closestKey(key: string, path: readonly PropertyKey[], value: unknown): string | undefined {
  if (key.length > 64) return undefined;
  const present = value !== null && typeof value === 'object' ? Object.keys(value) : [];
  const candidates = allowedKeys(path, value).filter((k) => !present.includes(k));
  const squash = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');
  const exact = candidates.find((k) => squash(k) === squash(key));
  if (exact) return exact;
  const limit = key.length >= 6 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const k of candidates) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}
