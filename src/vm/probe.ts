// A live check of one sidecar address: GET /openstack (what cloud-init asks first; it must be a non-empty
// 200) with a short timeout. Used by create (readiness), inspect and list.
import { request } from 'node:http';
import type { ListenAddress } from '../sidecar/files.js';

// vmmeta's own requests carry this query (the sidecar ignores queries, its access log keeps them), so inspect
// and logs can tell them from the guest's: "did the guest ever call?" must not count our health checks.
export const PROBE_QUERY = 'vmmeta=probe';
export function isProbePath(path: string): boolean {
  return /[?&]vmmeta=probe(?:&|$)/.test(path);
}

export interface ProbeResult {
  address: string;
  ok: boolean;
  status?: number;
  ms: number;
  error?: string;
}

export function listenerAddress(l: ListenAddress): string {
  return l.kind === 'unix' ? `unix:${l.path}` : l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
}

export function listenerUrl(l: ListenAddress): string | undefined {
  return l.kind === 'tcp' ? `http://${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}/` : undefined;
}

export function httpGet(l: ListenAddress, path: string, timeoutMs: number): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const target = l.kind === 'unix' ? { socketPath: l.path } : { host: l.host, port: l.port };
    const req = request({ ...target, path, method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function probeListener(
  l: ListenAddress,
  timeoutMs: number,
  path = `/openstack?${PROBE_QUERY}`,
): Promise<ProbeResult> {
  const start = performance.now();
  const address = listenerAddress(l);
  const ms = () => Math.round(performance.now() - start);
  try {
    const { status, body } = await httpGet(l, path, timeoutMs);
    const ok = status === 200 && body.length > 0;
    return { address, ok, status, ms: ms(), ...(ok ? {} : { error: `HTTP ${status}, ${body.length} bytes` }) };
  } catch (err) {
    return { address, ok: false, ms: ms(), error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}
