// Reads what a guest printed between "=== BEGIN name ===" / "=== END name ===" markers on its serial console,
// and checks it with messages that point at the saved serial log.
import * as assert from 'node:assert/strict';
import type { BootResult } from './qemu.js';

// CSI, OSC, and the string sequences (DCS, APC, PM, SOS) that sid's systemd sends to query the terminal, then the
// two-byte ones (charset, keypad mode, save/restore cursor).
const TERMINAL_CODES =
  // eslint-disable-next-line no-control-regex
  /\x1b(?:\[[0-9;?!]*[ -\/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[P_^X][^\x1b]*\x1b\\|[()][0-9A-Za-z]|[=>78])/g;
export function stripTerminalCodes(text: string): string {
  return text.replace(TERMINAL_CODES, '');
}

export function sections(log: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^=== BEGIN ([\w.-]+) ===\n([\s\S]*?)^=== END \1 ===$/gm;
  // trixie's systemd resets the console (CSI and OSC sequences) and its iproute2 colours output on a terminal.
  const plain = stripTerminalCodes(log.replaceAll('\r\n', '\n'));
  for (const m of plain.matchAll(re)) out.set(m[1]!, withoutConsoleNoise(m[2]!).replace(/\n$/, ''));
  return out;
}

// The report shares the serial console with systemd's status lines and the kernel's messages, which can land in the
// middle of a section (sid's "[FAILED] Failed to start netplan-configure…" inside cloud_id). No report line
// looks like them.
const CONSOLE_NOISE =
  /^(?:\[\s*(?:OK|FAILED|DEPEND|TIME|WARN|\*+)\s*\] .*|\s+(?:Starting|Stopping|Mounting|Unmounting|Activating|Deactivating|Reloading|Finished) .*|\[\s*\d+\.\d+\] .*)\n/gm;
function withoutConsoleNoise(text: string): string {
  return text.replace(CONSOLE_NOISE, '');
}

// key=value lines of one section.
export function keyValues(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (text ?? '').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

export class GuestReport {
  readonly parts: Map<string, string>;
  constructor(readonly boot: BootResult) {
    this.parts = sections(boot.log);
  }
  section(name: string): string {
    const s = this.parts.get(name);
    if (s === undefined)
      throw new assert.AssertionError({
        message: `${this.boot.name}: the guest printed no "${name}" section${this.where()}`,
      });
    return s;
  }
  json(name: string): unknown {
    const s = this.section(name);
    try {
      return JSON.parse(s);
    } catch {
      throw new assert.AssertionError({
        message: `${this.boot.name}: section "${name}" is not JSON: ${s.slice(0, 200)}${this.where()}`,
      });
    }
  }
  where(): string {
    return ` (serial log: ${this.boot.logPath}, ${Math.round(this.boot.durationMs / 1000)} s${this.boot.timedOut ? ', timed out' : ''})`;
  }
}

// Asserts that the guest saw exactly `expected` for each key of a key=value section.
export function expectKeyValues(report: GuestReport, section: string, expected: Record<string, string>): void {
  const seen = keyValues(report.section(section));
  for (const [k, v] of Object.entries(expected)) {
    assert.equal(
      seen[k],
      v,
      `${report.boot.name}: guest saw ${section}.${k}=${JSON.stringify(seen[k])}, expected ${JSON.stringify(v)}${report.where()}`,
    );
  }
}
