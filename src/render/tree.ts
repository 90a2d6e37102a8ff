// A FileTree is a rendered set of documents: relative POSIX path -> exact bytes. The same tree becomes meta/ on
// disk, an ISO, or the sidecar's answers, so the bytes a guest reads are identical whichever way it reads them
// (cloud-init reads one layout from a drive or over HTTP: sources/helpers/openstack.py).
export type FileTree = Map<string, Uint8Array>;

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

// Stable JSON: keys sorted at every level, two-space indent, trailing newline (as cloud-init's atomic_helper
// writes JSON), so golden files and ETags never change for the same input.
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

// Builds a tree whose iteration order is sorted by path, whatever order entries were added in.
export function sortedTree(entries: Iterable<[string, Uint8Array]>): FileTree {
  return new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// A listing (an HTTP tree entry whose key ends in `/`): one name per line, no trailing newline, as Nova's
// ec2_md_print joins a list. Sub-folders carry their trailing `/` in the name itself.
export function listing(names: string[]): Uint8Array {
  return utf8(names.join('\n'));
}
