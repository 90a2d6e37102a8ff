// The access log: one JSON line per request, appended off the request path. Lines queue in memory and are
// written in batches, at most one write every FLUSH_MS (sooner once BATCH_LINES are waiting), so logging never
// delays an answer. A write per event-loop turn cost half the throughput: under load each write found only a
// line or two, and every one went through the thread pool (docs/performance.md). It is bounded
// twice: the queue drops lines beyond maxQueue (counted, reported once), and the file is rotated to `<file>.1`
// when it would pass maxBytes, so a VM hammering its sidecar costs at most 2 × maxBytes of disk.
import { open, rename, type FileHandle } from 'node:fs/promises';
import { NOFOLLOW_APPEND, isLinkError, plantedLinkError } from '../state/secure-dir.js';

// O_NOFOLLOW: a link planted in the VM folder is an error naming itself, never a redirect to another file.
async function openLog(file: string): Promise<FileHandle> {
  return open(file, NOFOLLOW_APPEND, 0o600).catch((err: unknown) => {
    throw isLinkError(err) ? plantedLinkError(file) : err;
  });
}

export interface AccessEntry {
  time: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  ms: number;
  // Which listener answered ("unix:/…/sidecar.sock", "127.0.0.1:41234") and who connected ("unix": a process
  // of the socket's owner, since the socket is 0600; "127.0.0.1:50312": address and port of a TCP peer).
  listener: string;
  peer: string;
  token: boolean;
}

// The line JSON.stringify(entry) would give, field for field and in the same order, built by hand: on the
// request path the generic stringify of a nine-field object cost more than the handler itself. `listener` is
// given already JSON-quoted, since it is the same for every request of a connection.
export function accessLine(
  time: string,
  method: string,
  path: string,
  status: number,
  bytes: number,
  ms: number,
  listenerJson: string,
  peerJson: string,
  token: boolean,
): string {
  return `{"time":"${time}","method":${JSON.stringify(method)},"path":${JSON.stringify(path)},"status":${status},"bytes":${bytes},"ms":${ms},"listener":${listenerJson},"peer":${peerJson},"token":${token}}\n`;
}

export interface AccessLogOptions {
  maxBytes?: number;
  maxQueue?: number;
  flushMs?: number;
  onError?: (message: string) => void;
}

const FLUSH_MS = 20;
const BATCH_LINES = 2000;

export class AccessLog {
  private queue: string[] = [];
  private fh: FileHandle | undefined;
  private size = 0;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failed = false;
  dropped = 0;
  readonly maxBytes: number;
  private readonly maxQueue: number;

  constructor(
    readonly file: string,
    private readonly opts: AccessLogOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
    this.maxQueue = opts.maxQueue ?? 10_000;
  }

  // A line already serialised by accessLine: one JSON object and its newline.
  writeLine(line: string): void {
    if (this.queue.length >= this.maxQueue) {
      // Said once, when it starts; the total is in `dropped` (the sidecar's and the host's stop events carry it).
      if (this.dropped++ === 0)
        this.opts.onError?.(`access log ${this.file}: more than ${this.maxQueue} lines waiting for the disk; dropping`);
      return;
    }
    this.queue.push(line);
    if (this.queue.length >= BATCH_LINES && !this.running) this.writeNow();
    else this.timer ??= setTimeout(() => this.writeNow(), this.opts.flushMs ?? FLUSH_MS);
  }

  // One write of everything queued; lines that arrive meanwhile wait for the next timer.
  private writeNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || !this.queue.length) return;
    this.running = this.drain().then(() => {
      this.running = undefined;
      if (this.queue.length) this.timer ??= setTimeout(() => this.writeNow(), this.opts.flushMs ?? FLUSH_MS);
    });
  }

  // Waits until everything queued so far is on disk (tests, and shutdown).
  async flush(): Promise<void> {
    for (;;) {
      if (this.running) await this.running;
      else if (this.queue.length) this.writeNow();
      else break;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }

  private async drain(): Promise<void> {
    try {
      const lines = this.queue;
      this.queue = [];
      await this.append(lines);
    } catch (err) {
      if (!this.failed) this.opts.onError?.(`access log ${this.file}: ${(err as Error).message}`);
      this.failed = true;
      this.queue = [];
    }
  }

  // Writes the lines in as few writes as possible, rotating whenever the next line would pass maxBytes.
  private async append(lines: string[]): Promise<void> {
    if (!this.fh) {
      this.fh = await openLog(this.file);
      this.size = (await this.fh.stat()).size;
    }
    let i = 0;
    while (i < lines.length) {
      const take: string[] = [];
      let bytes = 0;
      for (; i < lines.length; i++) {
        const n = Buffer.byteLength(lines[i]!);
        if (this.size + bytes + n > this.maxBytes && (take.length || this.size > 0)) break;
        take.push(lines[i]!);
        bytes += n;
      }
      if (take.length) {
        await this.fh!.write(take.join(''));
        this.size += bytes;
      }
      if (i < lines.length) await this.rotate();
    }
  }

  private async rotate(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
    await rename(this.file, `${this.file}.1`);
    this.fh = await openLog(this.file);
    this.size = 0;
  }
}
