// The CLI entry (bin/vmmeta.js calls main after routing `serve` elsewhere). This file only wires: global flags,
// the context every command gets, and the two kinds of error (errors.ts): a UserError is printed as
// "vmmeta: message" + details + hint (or a JSON error document under --json) with its exit code; anything else
// is a bug, printed with its stack, exit 1. Commander's own usage errors exit 2.
import { Command, CommanderError } from 'commander';
import { resolveStateRoot } from '../state/paths.js';
import { EXIT, UserError, fsUserError } from './errors.js';
import { errorDocument, formatBug, formatUserError, jsonDocument, wantColor, type FormatOptions, type Formatter } from './output.js';
import { registerCommands } from './program.js';

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

export function processIo(): Io {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    env: process.env,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    columns: process.stdout.columns ?? 0,
  };
}

export function makeCtx(io: Io, opts: GlobalOpts): Ctx {
  const json = Boolean(opts.json);
  const color = wantColor(opts, io.env, io.stdoutIsTTY);
  const root = resolveStateRoot({ flag: opts.stateDir, env: io.env, uid: process.getuid?.() ?? 1000 });
  return { root, json, fmt: { color, width: io.columns }, io, progress: (line) => io.err(`vmmeta: ${line}\n`) };
}

// Wraps a command function: builds the context, prints its result (formatted or as one JSON document) and sets
// the exit code; `exitOf` lets a command whose result is a failure (doctor) exit 1 without throwing.
export function action<R>(io: Io, fn: (ctx: Ctx, args: string[], opts: Record<string, unknown>) => Promise<R>, format: Formatter<R>, exitOf?: (r: R) => number) {
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

export function buildProgram(io: Io, usage: { json: boolean }): Command {
  const program = new Command('vmmeta')
    .description('Per-VM cloud-init metadata for KVM/QEMU and libvirt: OpenStack and EC2 metadata sidecars, SMBIOS, NoCloud CD')
    .option('--state-dir <dir>', 'state root (default: $VMMETA_STATE_DIR, /var/lib/vmmeta as root, else $XDG_STATE_HOME/vmmeta)')
    .option('--json', 'print one JSON document on stdout (errors too: {"ok":false,"error":{…}})')
    .option('--no-color', 'no colour (also off when stdout is not a terminal or NO_COLOR is set)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => {
        if (!usage.json) write(s);
      },
    });
  registerCommands(program, io);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

export async function main(argv: string[], io: Io = processIo()): Promise<void> {
  const usage = { json: argv.includes('--json') };
  const program = buildProgram(io, usage);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = report(err, io, usage.json);
  }
}

function report(err: unknown, io: Io, json: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
    // commander already printed its message (unless --json); every other commander error is a usage error.
    if (json) io.out(errorDocument(new UserError(err.message.replace(/^error: /, ''), { exitCode: EXIT.invalid, hint: 'vmmeta --help' })));
    return EXIT.invalid;
  }
  const fmt = { color: wantColor({ json }, io.env, io.stderrIsTTY), width: io.columns };
  err = fsUserError(err) ?? err;
  if (err instanceof UserError) {
    if (json) io.out(errorDocument(err));
    else io.err(formatUserError(err, fmt));
    return err.exitCode;
  }
  if (json) io.out(errorDocument(new UserError('internal error (a bug in vmmeta): see stderr', { exitCode: EXIT.failure })));
  io.err(formatBug(err));
  return EXIT.failure;
}
