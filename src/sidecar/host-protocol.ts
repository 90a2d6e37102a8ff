// The control protocol of `vmmeta host`: one JSON object per line on the state root's 0600 host.sock, one reply
// line per request, in order. Only the socket's owner (the user the host and the CLI run as) can connect, so the
// requests are trusted as much as the state root is; they are still checked field by field. Plain data and
// hand-written checks, so both the lean host and the CLI (vm/host-client.ts) load it without zod.
import type { HostVmStatus } from './host.js';

export type HostRequest =
  | { op: 'ping' }
  | { op: 'status'; vm?: string }
  // start: `vmmeta start`/`create` asked, so a stop mark left by `vmmeta stop` goes.
  | { op: 'load'; vm: string; start?: boolean }
  // stop: `vmmeta stop` asked, so a restarted host leaves the VM stopped.
  | { op: 'unload'; vm: string; stop?: boolean };

export type HostReply =
  { ok: true; pid: number; vm?: HostVmStatus; vms?: HostVmStatus[] } | { ok: false; pid: number; error: string };

// A request line is small; anything longer is not a vmmeta client.
export const MAX_REQUEST_BYTES = 4096;

export function parseHostRequest(line: string): HostRequest {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    throw new Error('request: not JSON');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('request: expected an object');
  const o = doc as Record<string, unknown>;
  const vm = o.vm;
  if (vm !== undefined && typeof vm !== 'string') throw new Error('request: vm must be a string');
  const flag = (k: string): boolean | undefined => {
    if (o[k] === undefined) return undefined;
    if (typeof o[k] !== 'boolean') throw new Error(`request: ${k} must be true or false`);
    return o[k];
  };
  switch (o.op) {
    case 'ping':
      return { op: 'ping' };
    case 'status':
      return vm === undefined ? { op: 'status' } : { op: 'status', vm };
    case 'load':
    case 'unload': {
      if (vm === undefined) throw new Error(`request: ${o.op} needs a vm`);
      const f = flag(o.op === 'load' ? 'start' : 'stop');
      if (o.op === 'load') return f === undefined ? { op: 'load', vm } : { op: 'load', vm, start: f };
      return f === undefined ? { op: 'unload', vm } : { op: 'unload', vm, stop: f };
    }
    default:
      throw new Error(`request: unknown op ${JSON.stringify(o.op)} (ping, status, load, unload)`);
  }
}
