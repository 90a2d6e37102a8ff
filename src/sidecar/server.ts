// node:http around the pure handler: one server per listen address, all answering from the same current tree.
// reload() swaps one reference; each request reads it once, so an answer comes wholly from the old or the new
// documents. Limits follow what a metadata client needs (small GETs) rather than node's generous defaults.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Stats } from 'node:fs';
import { lstat, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { handleRequest, type HandlerContext, type SidecarResponse } from './handler.js';
import type { Served } from './served.js';
import type { ListenAddress } from './files.js';
import { writeFileAtomic } from '../state/atomic.js';
import { AccessLog, accessLine } from './access-log.js';
import { listen } from './bind.js';
import { listenerLabel, originOf, peerLabel, type Origin } from './origin.js';

export interface Limits {
  maxHeaderBytes: number; // request line + headers; above → 431
  maxBodyBytes: number; // above → 413 (the password POST needs 1020)
  headersTimeoutMs: number; // a client that has not finished its headers by then gets 408 and is cut off
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxHeaderBytes: 8192,
  maxBodyBytes: 4096,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
};

export interface SidecarOptions {
  served: Served;
  tokenKey: Uint8Array;
  listen: ListenAddress[];
  accessLog?: string;
  accessLogMaxBytes?: number;
  passwordFile?: string; // where a POSTed password is persisted (0600); absent: kept in memory only
  password?: string; // a password stored earlier
  limits?: Partial<Limits>;
  now?: () => number;
  onError?: (message: string) => void;
}

export interface RunningSidecar {
  addresses: ListenAddress[];
  reload(served: Served): void;
  served(): Served;
  close(graceMs?: number): Promise<void>;
  accessLog: AccessLog | undefined;
}

export async function startSidecar(opts: SidecarOptions): Promise<RunningSidecar> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const now = opts.now ?? Date.now;
  const onError = opts.onError ?? ((m: string) => process.stderr.write(m + '\n'));
  const log = opts.accessLog ? new AccessLog(opts.accessLog, { maxBytes: opts.accessLogMaxBytes, onError }) : undefined;
  let password = opts.password;
  let current = opts.served;
  let ctx = contextFor(current);

  function contextFor(served: Served): HandlerContext {
    return {
      tree: served.tree,
      imdsTokens: served.imds.tokens,
      tokenKey: opts.tokenKey,
      password: { get: () => password },
    };
  }

  // What every request of a connection shares, worked out once when it arrives (set on 'connection'): its
  // listener, who it is from, and the two labels of its access log lines, already JSON-quoted.
  interface Conn {
    origin: Origin;
    listenerJson: string;
    peerJson: string;
  }
  const conns = new WeakMap<object, Conn>();
  const connOf = (socket: Duplex | Socket): Conn | undefined => conns.get(socket);

  // One ISO time per millisecond, not per request.
  let isoMs = -1;
  let iso = '';
  const isoNow = (): string => {
    const ms = now();
    if (ms !== isoMs) {
      isoMs = ms;
      iso = new Date(ms).toISOString();
    }
    return iso;
  };

  function record(req: IncomingMessage, status: number, bytes: number, started: number, token: boolean): void {
    if (!log) return;
    const c = connOf(req.socket);
    log.writeLine(
      accessLine(
        isoNow(),
        req.method ?? '',
        (req.url ?? '').slice(0, 512),
        status,
        bytes,
        Math.round((performance.now() - started) * 100) / 100,
        c?.listenerJson ?? '""',
        c?.peerJson ?? JSON.stringify(peerLabel(req.socket)),
        token,
      ),
    );
  }

  function refuse(req: IncomingMessage, res: ServerResponse, status: number, started: number): void {
    const body = `${status} ${STATUS_CODES[status]}\n`;
    res.shouldKeepAlive = false;
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': String(body.length), connection: 'close' });
    res.end(body);
    record(req, status, body.length, started, false);
  }

  // Synchronous for every answer but a password POST, which is sent once the password is on disk.
  function answer(req: IncomingMessage, res: ServerResponse, body: Uint8Array | undefined, started: number): void {
    const used = ctx; // one tree for the whole answer, whatever reload() does meanwhile
    let r: SidecarResponse;
    try {
      const origin = connOf(req.socket)?.origin ?? 'host'; // unknown listener: assume the least
      r = handleRequest(
        { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, nowMs: now(), origin },
        used,
      );
    } catch (err) {
      // A bug must cost one answer, not every VM request after it.
      onError(`internal error on ${req.method} ${(req.url ?? '').slice(0, 200)}: ${(err as Error).stack}`);
      return refuse(req, res, 500, started);
    }
    if (r.passwordToStore !== undefined) return void storePassword(req, res, r, r.passwordToStore, started);
    send(req, res, r, started);
  }

  function send(req: IncomingMessage, res: ServerResponse, r: SidecarResponse, started: number): void {
    res.writeHead(r.status, r.headers);
    res.end(r.body);
    record(req, r.status, r.body.byteLength, started, r.tokenUsed);
  }

  async function storePassword(
    req: IncomingMessage,
    res: ServerResponse,
    r: SidecarResponse,
    value: string,
    started: number,
  ): Promise<void> {
    // Claimed synchronously, so a concurrent POST already sees it and gets 409.
    password = value;
    try {
      if (opts.passwordFile) await writeFileAtomic(opts.passwordFile, value, { mode: 0o600 });
    } catch (err) {
      password = undefined;
      onError(`could not store the password in ${opts.passwordFile}: ${(err as Error).message}`);
      return refuse(req, res, 500, started);
    }
    send(req, res, r, started);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const declared = req.headers['content-length'];
    if (declared === undefined && req.headers['transfer-encoding'] === undefined) {
      answer(req, res, undefined, started); // the common case: a bodiless GET, answered in this tick
      return;
    }
    if (declared !== undefined && Number(declared) > limits.maxBodyBytes) return refuse(req, res, 413, started);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('error', () => undefined); // a client gone mid-body: nothing to answer
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBodyBytes) {
        req.removeAllListeners('data');
        req.pause();
        if (!res.headersSent) refuse(req, res, 413, started);
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (!res.headersSent) answer(req, res, Buffer.concat(chunks), started);
    });
  }

  function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const c = connOf(socket);
    const peer = peerLabel(socket as Duplex & { remoteAddress: string | undefined; remotePort: number | undefined });
    log?.writeLine(
      accessLine(isoNow(), '', '', status, 0, 0, c?.listenerJson ?? '""', c?.peerJson ?? JSON.stringify(peer), false),
    );
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
    setTimeout(() => socket.destroy(), 1000).unref(); // a peer that never closes its side
  }

  const servers: Server[] = [];
  const addresses: ListenAddress[] = [];
  const sockets = new Map<string, Stats>(); // unix path -> the file we bound (dev, ino)
  try {
    for (const spec of opts.listen) {
      const server = createServer(
        {
          maxHeaderSize: limits.maxHeaderBytes,
          requestTimeout: limits.requestTimeoutMs,
          headersTimeout: limits.headersTimeoutMs,
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
          requireHostHeader: false, // HTTP/1.0 helpers and busybox wget may omit it; the VM is the socket, not the Host
        },
        onRequest,
      );
      server.maxConnections = limits.maxConnections;
      server.timeout = 30_000; // backstop for a client that stops reading mid-response
      server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => onClientError(err, socket));
      servers.push(server);
      const bound = await listen(server, spec);
      const listenerJson = JSON.stringify(listenerLabel(bound));
      server.on('connection', (socket: Socket) =>
        conns.set(socket, {
          origin: originOf(bound, socket),
          listenerJson,
          peerJson: JSON.stringify(peerLabel(socket)),
        }),
      );
      addresses.push(bound);
      if (bound.kind === 'unix') sockets.set(bound.path, await lstat(bound.path));
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    throw err;
  }

  return {
    addresses,
    accessLog: log,
    served: () => current,
    reload(served: Served) {
      current = served;
      ctx = contextFor(served);
    },
    async close(graceMs = 5000) {
      const closed = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      for (const s of servers) s.closeIdleConnections();
      const timer = setTimeout(() => servers.forEach((s) => s.closeAllConnections()), graceMs);
      await Promise.all(closed);
      clearTimeout(timer);
      // Only the socket file this process bound: after `mv vm vm.orig` and a new `create vm`, the path names
      // the new VM's socket, and unlinking it by path would cut that VM's guest off.
      for (const [path, bound] of sockets) {
        const now = await lstat(path).catch(() => undefined);
        if (now && now.ino === bound.ino && now.dev === bound.dev) await rm(path, { force: true });
      }
      await log?.close();
    },
  };
}
