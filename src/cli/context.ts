// What every command action gets: the Io it prints to, and a context built from the global flags once, so a
// global flag means the same for every command. Kept apart from main.ts so the command wiring can use it without
// importing the entry that imports the wiring.
import type { Command } from 'commander';
import { resolveStateRoot } from '../state/paths.js';
import { EXIT } from '../errors.js';
import { jsonDocument, wantColor, type FormatOptions, type Formatter } from './output.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  columns: number;
}

export interface Ctx {
  root: string;
  json: boolean;
  fmt: FormatOptions;
  io: Io;
  progress: (line: string) => void;
}

interface GlobalOpts {
  stateDir?: string;
  json?: boolean;
  color?: boolean;
}

export function makeCtx(io: Io, opts: GlobalOpts): Ctx {
  const json = Boolean(opts.json);
  const color = wantColor(opts, io.env, io.stdoutIsTTY);
  const root = resolveStateRoot({ flag: opts.stateDir, env: io.env, uid: process.getuid?.() ?? 1000 });
  return { root, json, fmt: { color, width: io.columns }, io, progress: (line) => io.err(`vmmeta: ${line}\n`) };
}

// Wraps a command function: builds the context, prints its result (formatted or as one JSON document) and sets
// the exit code; `exitOf` lets a command whose result is a failure (doctor) exit 1 without throwing.
export function action<R>(
  io: Io,
  fn: (ctx: Ctx, args: string[], opts: Record<string, unknown>) => Promise<R>,
  format: Formatter<R>,
  exitOf?: (r: R) => number,
) {
  return async (...raw: unknown[]): Promise<void> => {
    const cmd = raw[raw.length - 1] as Command;
    const opts = cmd.optsWithGlobals() as Record<string, unknown> & GlobalOpts;
    const args = raw.slice(0, -2) as string[];
    const ctx = makeCtx(io, opts);
    const result = await fn(ctx, args, cmd.opts());
    io.out(ctx.json ? jsonDocument(result) : format(result, ctx.fmt));
    process.exitCode = exitOf?.(result) ?? EXIT.ok;
  };
}
