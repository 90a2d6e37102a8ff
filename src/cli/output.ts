// Output conventions: data to stdout, progress and diagnostics to stderr; --json prints one document and no
// colour. Formatters are pure, `(data, {color, width}) => string`, like lima's PrintInstances with the terminal
// width passed in, so tests pin them without a terminal.
import { Chalk, type ChalkInstance } from 'chalk';
import { UserError } from '../errors.js';

// What inspect shows in place of a secret (user-data, passwords, the token key) without --show-secrets.
export const REDACTED = '<redacted: --show-secrets>';

export interface FormatOptions {
  color: boolean;
  width: number;
}

export type Formatter<T> = (data: T, o: FormatOptions) => string;

export function paint(o: FormatOptions): ChalkInstance {
  return new Chalk({ level: o.color ? 1 : 0 });
}

// NO_COLOR (https://no-color.org): present and not empty disables colour, whatever the terminal.
export function wantColor(opts: { color?: boolean; json?: boolean }, env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  return opts.color !== false && !opts.json && !env.NO_COLOR && isTTY;
}

// Columns padded to the widest cell; the last column is cut to the width so rows never wrap.
export function table(
  headers: string[],
  rows: string[][],
  o: FormatOptions,
  styles: Array<((s: string) => string) | undefined> = [],
): string {
  const c = paint(o);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[], header: boolean) => {
    let out = '';
    cells.forEach((cell, i) => {
      const last = i === cells.length - 1;
      let text = last ? cell : cell.padEnd(widths[i]!);
      if (last && o.width > 0 && out.length + text.length > o.width)
        text = text.slice(0, Math.max(1, o.width - out.length - 1)) + '…';
      const style = header ? c.bold : styles[i];
      out += (style ? style(text) : text) + (last ? '' : '  ');
    });
    return out.trimEnd();
  };
  return [line(headers, true), ...rows.map((r) => line(r, false))].join('\n') + '\n';
}

// "key: value" lines with the keys aligned.
export function fields(pairs: Array<[string, string | undefined]>, o: FormatOptions, indent = ''): string {
  const c = paint(o);
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined);
  const w = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${indent}${c.dim(`${k}:`.padEnd(w + 1))} ${v}`).join('\n') + (shown.length ? '\n' : '');
}

export function section(title: string, body: string, o: FormatOptions): string {
  return `${paint(o).bold(title)}\n${body}`;
}

export function jsonDocument(data: unknown): string {
  return JSON.stringify({ ok: true, ...(data as object) }, null, 2) + '\n';
}

export function errorDocument(err: UserError): string {
  return (
    JSON.stringify(
      { ok: false, error: { message: err.message, code: err.exitCode, details: err.details, hint: err.hint ?? null } },
      null,
      2,
    ) + '\n'
  );
}

// vmmeta: <message>, one indented line per detail, then "hint: …".
export function formatUserError(err: UserError, o: FormatOptions): string {
  const c = paint(o);
  const lines = [`${c.red('vmmeta:')} ${err.message}`, ...err.details.map((d) => `  ${d}`)];
  if (err.hint) lines.push(`${c.dim('hint:')} ${err.hint}`);
  return lines.join('\n') + '\n';
}

export function formatBug(err: unknown): string {
  const stack = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  return `${stack}\n\nvmmeta: this is a bug in vmmeta, not something you did wrong; please report it with the command you ran and the output above.\n`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function ago(iso: string | undefined, now: number): string | undefined {
  if (!iso) return undefined;
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}
