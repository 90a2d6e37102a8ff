// A minimal QMP client over a QEMU child's stdio, and a reader for the SMBIOS tables SeaBIOS publishes in guest
// memory. QMP has no SMBIOS query, but once the firmware has run the tables sit in RAM: the "_SM_" anchor
// (SMBIOS 2.x entry point) lies on a 16-byte boundary in 0xF0000-0xFFFFF and points at the structure table.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

export interface Qmp {
  cmd(execute: string, args?: Record<string, unknown>): Promise<unknown>;
  quit(): Promise<void>;
  stderr(): string;
}

export async function startQemu(args: string[], opts: { timeoutMs?: number } = {}): Promise<Qmp> {
  const child: ChildProcessWithoutNullStreams = spawn('qemu-system-x86_64', [...args, '-qmp', 'stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let buf = '';
  let err = '';
  const waiting: Array<(msg: Record<string, unknown>) => void> = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stderr.on('data', (d) => (err += d));
  child.stdout.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as Record<string, unknown>;
      if ('event' in msg) continue;
      waiting.shift()?.(msg);
    }
  });
  const timeout = opts.timeoutMs ?? 20_000;
  const next = (): Promise<Record<string, unknown>> =>
    Promise.race([
      new Promise<Record<string, unknown>>((resolve) => waiting.push(resolve)),
      exited.then((code) => Promise.reject(new Error(`qemu exited (${code}): ${err.trim()}`))),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`QMP timeout; stderr: ${err}`)), timeout).unref(),
      ),
    ]);
  await next(); // greeting
  const cmd = async (execute: string, a?: Record<string, unknown>) => {
    const reply = next();
    child.stdin.write(JSON.stringify(a ? { execute, arguments: a } : { execute }) + '\n');
    const msg = await reply;
    if ('error' in msg) throw new Error(`${execute}: ${JSON.stringify(msg.error)}`);
    return msg.return;
  };
  await cmd('qmp_capabilities');
  return {
    cmd,
    stderr: () => err,
    quit: async () => {
      child.stdin.write('{"execute":"quit"}\n');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

export async function readMemory(qmp: Qmp, addr: number, size: number): Promise<Buffer> {
  const file = join(tmpdir(), `vmmeta-pmem-${process.pid}-${addr}-${size}`);
  try {
    await qmp.cmd('pmemsave', { val: addr, size, filename: file });
    return readFileSync(file);
  } finally {
    rmSync(file, { force: true });
  }
}

export interface SmbiosStructure {
  type: number;
  formatted: Buffer;
  strings: Buffer[]; // raw bytes: the test compares bytes, not decoded text
}

// Polls (with a sleep and a deadline) until the firmware has written the entry point, then parses the table.
export async function readSmbiosTables(qmp: Qmp, deadlineMs = 20_000): Promise<SmbiosStructure[]> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const fseg = await readMemory(qmp, 0xf0000, 0x10000);
    for (let off = 0; off + 31 <= fseg.length; off += 16) {
      if (fseg.toString('latin1', off, off + 4) !== '_SM_' || fseg.toString('latin1', off + 16, off + 21) !== '_DMI_')
        continue;
      const tableLen = fseg.readUInt16LE(off + 0x16);
      const tableAddr = fseg.readUInt32LE(off + 0x18);
      const count = fseg.readUInt16LE(off + 0x1c);
      return parseStructures(await readMemory(qmp, tableAddr, tableLen), count);
    }
    if (Date.now() > end) throw new Error('no SMBIOS entry point in the F segment');
    await new Promise((r) => setTimeout(r, 200));
  }
}

function parseStructures(table: Buffer, count: number): SmbiosStructure[] {
  const out: SmbiosStructure[] = [];
  let off = 0;
  for (let n = 0; n < count && off + 4 <= table.length; n++) {
    const type = table[off] as number;
    const len = table[off + 1] as number;
    const formatted = table.subarray(off, off + len);
    let p = off + len;
    const strings: Buffer[] = [];
    if (table[p] === 0 && table[p + 1] === 0) p += 2;
    else {
      while (table[p] !== 0) {
        const z = table.indexOf(0, p);
        strings.push(table.subarray(p, z));
        p = z + 1;
      }
      p += 1;
    }
    out.push({ type, formatted, strings });
    off = p;
  }
  return out;
}

// The string a formatted-area byte points at (1-based; 0 means "none"), as Linux's dmi_string() would return it.
export function smbiosString(s: SmbiosStructure, offset: number): string | undefined {
  const idx = s.formatted[offset] ?? 0;
  return idx === 0 ? undefined : s.strings[idx - 1]?.toString('utf8');
}

// Type 1 UUID bytes 8..23, first three fields little-endian (SMBIOS >= 2.6), printed the way Linux's %pUl does.
export function smbiosUuid(s: SmbiosStructure): string {
  const b = s.formatted.subarray(8, 24);
  const hex = (i: number, n: number, le: boolean) => {
    const part = [...b.subarray(i, i + n)];
    return (le ? part.reverse() : part).map((x) => x.toString(16).padStart(2, '0')).join('');
  };
  return `${hex(0, 4, true)}-${hex(4, 2, true)}-${hex(6, 2, true)}-${hex(8, 2, false)}-${hex(10, 6, false)}`;
}
