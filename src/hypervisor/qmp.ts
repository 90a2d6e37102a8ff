// A QMP client on a Unix socket: the greeting, qmp_capabilities, one command at a time, and every event kept so
// a DEVICE_DELETED that arrives before anyone waits for it is not lost. Used by `vmmeta nic add/remove`.
import { connect, type Socket } from 'node:net';

export class QmpCommandError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`${command}: ${desc} (${errorClass})`);
    this.name = 'QmpCommandError';
  }
}

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
}

export interface QmpSession {
  execute(command: string, args?: Record<string, unknown>): Promise<unknown>;
  // Resolves with the first event (already received or still to come) that matches, or rejects at the deadline.
  waitEvent(name: string, match: (data: Record<string, unknown>) => boolean, timeoutMs: number): Promise<QmpEvent>;
  close(): void;
}

export async function qmpConnect(path: string, timeoutMs = 5000): Promise<QmpSession> {
  const sock: Socket = connect(path);
  sock.setEncoding('utf8');
  let buf = '';
  const replies: Array<{ ok: (m: Record<string, unknown>) => void; fail: (e: Error) => void }> = [];
  const events: QmpEvent[] = [];
  const eventWaiters = new Set<() => void>();
  let closed: Error | null = null;
  const failAll = (err: Error) => {
    closed ??= err;
    for (const r of replies.splice(0)) r.fail(err);
    for (const w of eventWaiters) w();
  };
  sock.on('data', (chunk: string) => {
    buf += chunk;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        failAll(new Error(`QMP sent a line that is not JSON: ${line.slice(0, 120)}`));
        sock.destroy();
        return;
      }
      if (typeof msg.event === 'string') {
        events.push(msg as unknown as QmpEvent);
        for (const w of eventWaiters) w();
      } else replies.shift()?.ok(msg);
    }
  });
  sock.on('error', (e) => failAll(e));
  sock.on('close', () => failAll(new Error('QMP connection closed')));

  const next = (what: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(closed);
      const timer = setTimeout(() => reject(new Error(`no QMP answer to ${what} within ${timeoutMs} ms`)), timeoutMs);
      replies.push({ ok: (m) => (clearTimeout(timer), resolve(m)), fail: (e) => (clearTimeout(timer), reject(e)) });
    });
  const execute = async (command: string, args?: Record<string, unknown>): Promise<unknown> => {
    const reply = next(command);
    sock.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    const msg = await reply;
    const err = msg.error as { class?: string; desc?: string } | undefined;
    if (err) throw new QmpCommandError(command, err.class ?? 'GenericError', err.desc ?? JSON.stringify(err));
    return msg.return;
  };
  try {
    const greeting = await next('the connection (greeting)');
    if (!('QMP' in greeting)) throw new Error('not a QMP greeting');
    await execute('qmp_capabilities');
  } catch (err) {
    sock.destroy();
    throw err;
  }
  const waitEvent = (name: string, match: (data: Record<string, unknown>) => boolean, ms: number): Promise<QmpEvent> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const i = events.findIndex((e) => e.event === name && match(e.data ?? {}));
        if (i >= 0) return done(() => resolve(events.splice(i, 1)[0]!));
        if (closed) return done(() => reject(closed!));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${name} event within ${ms} ms`))), ms);
      const done = (f: () => void) => {
        clearTimeout(timer);
        eventWaiters.delete(check);
        f();
      };
      eventWaiters.add(check);
      check();
    });
  return { execute, waitEvent, close: () => sock.destroy() };
}
