// Minimal loopback HTTP client for readiness checks and correctness probes (no keep-alive: each probe is a
// fresh connection, as a booting guest's first request is).
import { request } from 'node:http';
import { createServer } from 'node:net';
import { now, msSince } from './stats.js';
import { sleep } from './proc.js';

export interface Reply {
  status: number;
  body: string;
}

export function httpGet(port: number, path: string, timeoutMs = 2000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

// Polls every `intervalMs` until a 200 arrives or the deadline passes; returns the ms waited.
export async function waitFor200(port: number, path: string, deadlineMs: number, intervalMs = 2): Promise<number> {
  const t0 = now();
  for (;;) {
    try {
      const r = await httpGet(port, path, 500);
      if (r.status === 200) return msSince(t0);
    } catch {
      /* not listening yet */
    }
    if (msSince(t0) > deadlineMs) throw new Error(`no 200 from 127.0.0.1:${port}${path} within ${deadlineMs} ms`);
    await sleep(intervalMs);
  }
}

// A port free right now on 127.0.0.1 (the kernel picks it; we release it at once). Only for servers whose
// config needs a fixed port (nginx, a sidecar whose spec names one); a race with another process is possible
// but harmless here: the start then fails loudly.
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
