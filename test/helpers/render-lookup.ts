// Reading a rendered HTTP tree the way the sidecar contract says it is served (docs/internals.md): collapse `//`,
// strip one trailing `/`, then look the path up as a leaf and then as a listing. Used to walk trees as clients do.
import type { FileTree } from '../../src/render/tree.js';

export function lookup(tree: FileTree, requestPath: string): Uint8Array | undefined {
  let p = requestPath.replace(/\/{2,}/g, '/');
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (p === '/') return tree.get('/');
  return tree.get(p) ?? tree.get(`${p}/`);
}

export const text = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);

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

// Python twin of lookup() above, over a harness's `tree` dict (the query string is dropped, as the sidecar does).
export const PY_TREE_LOOKUP = String.raw`def lookup(path):
    p = path.split("?")[0]
    while "//" in p:
        p = p.replace("//", "/")
    if len(p) > 1 and p.endswith("/"):
        p = p[:-1]
    return tree.get("/") if p == "/" else tree.get(p, tree.get(p + "/"))`;

// Python for the client harnesses: a loopback HTTP server answering GETs with `lookup(path)` (which the harness
// defines over its `tree`), recording each request path in `requests`, reachable at `base`. Interpolate it into a
// String.raw harness after `lookup` is defined; it needs ThreadingHTTPServer, BaseHTTPRequestHandler and threading.
export const PY_TREE_SERVER = String.raw`requests = []
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        requests.append(self.path)
        body = lookup(self.path)
        self.send_response(404 if body is None else 200)
        self.send_header("Content-Length", "0" if body is None else str(len(body)))
        self.end_headers()
        if body is not None:
            self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d" % srv.server_address[1]`;
