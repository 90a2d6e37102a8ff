// Reading a rendered HTTP tree the way the sidecar contract says it is served (docs/internals.md): collapse `//`,
// strip one trailing `/`, then look the path up as a leaf and then as a listing. Used to walk trees as clients do.
import type { FileTree } from '../../src/render/tree.js';

export function lookup(tree: FileTree, requestPath: string): Uint8Array | undefined {
  let p = requestPath.replace(/\/{2,}/g, '/');
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (p === '/') return tree.get('/');
  return tree.get(p) ?? tree.get(`${p}/`);
}

export const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

// Every path a listing names, resolved against the listing's own path (public-keys `i=name` lines point at
// `i/openssh-key`, as cloud-init's MetadataMaterializer reads them).
export function listedPaths(tree: FileTree, listingPath: string): string[] {
  const body = text(tree.get(listingPath)) ?? '';
  return body
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const eq = /^(\d+)=/.exec(line);
      return listingPath + (eq ? `${eq[1]}/openssh-key` : line);
    });
}
