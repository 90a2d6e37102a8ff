// Binding one listener (an HTTP server's, or the host's control socket): a Unix socket created 0600 (after making sure no live sidecar owns the path), or a TCP
// address, with errors turned into one clear sentence ("cannot listen on 127.0.0.1:8775: address already in use").
import { connect, type Server } from 'node:net';
import { chmod, lstat, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { ListenAddress } from './files.js';
import { socketPathProblem } from '../state/layout.js';

export async function listen(server: Server, spec: ListenAddress): Promise<ListenAddress> {
  if (spec.kind === 'unix') {
    const tooLong = socketPathProblem(spec.path);
    if (tooLong) throw new Error(tooLong);
    await removeStaleSocket(spec.path);
    // Created 0600 from the start (no window where another user could connect), then chmod for certainty.
    const umask = process.umask(0o177);
    try {
      // Bound by its name relative to the working directory (the VM folder, main.ts) when it lives there:
      // libuv unlinks the bound path when the server closes, and a folder moved aside (`mv vm1 vm1.orig`, then a
      // new `create vm1`) must take its own socket with it, not the new VM's at the old path.
      await bind(server, { path: dirname(spec.path) === process.cwd() ? basename(spec.path) : spec.path });
    } finally {
      process.umask(umask);
    }
    await chmod(spec.path, 0o600);
    return { kind: 'unix', path: spec.path };
  }
  await bind(server, { host: spec.host, port: spec.port, exclusive: true });
  const a = server.address();
  if (!a || typeof a === 'string') throw new Error(`no address after listening on ${spec.host}:${spec.port}`);
  return { kind: 'tcp', host: spec.host, port: a.port };
}

function bind(
  server: Server,
  opts: { path: string } | { host: string; port: number; exclusive: boolean },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => {
      const where =
        'path' in opts
          ? opts.path
          : opts.host.includes(':')
            ? `[${opts.host}]:${opts.port}`
            : `${opts.host}:${opts.port}`;
      const why =
        err.code === 'EADDRINUSE'
          ? 'address already in use'
          : err.code === 'EADDRNOTAVAIL'
            ? 'address not available on this host'
            : err.code === 'EACCES'
              ? 'permission denied'
              : err.message;
      reject(new Error(`cannot listen on ${where}: ${why}`));
    };
    server.once('error', fail);
    server.listen(opts, () => {
      server.off('error', fail);
      resolve();
    });
  });
}

// A socket file left by a sidecar that died is removed; one that still answers belongs to a live sidecar.
async function removeStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!st) return;
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.once('connect', () => done(true));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code !== 'ECONNREFUSED' && e.code !== 'ENOENT'));
    s.setTimeout(1000, () => done(true));
  });
  if (alive) throw new Error(`another process is listening on ${path}`);
  await rm(path, { force: true });
}
