// The CLI entry (bin/vmmeta.js calls main after routing `serve` elsewhere). This file only wires: global flags,
// the context every command gets, and the two kinds of error (errors.ts): a UserError is printed as
// "vmmeta: message" + details + hint (or a JSON error document under --json) with its exit code; anything else
// is a bug, printed with its stack, exit 1. Commander's own usage errors are reprinted the same way
// (`vmmeta: unknown option …` + a hint naming the command's --help) and exit 2. `help`, `--help` and `--version`
// exit 0; under --json their text is one document too ({"ok":true,"help":"…"}), so --json always means one
// document on stdout.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { EXIT, UserError, fsUserError } from '../errors.js';
import { errorDocument, formatBug, formatUserError, jsonDocument, wantColor } from './output.js';
import type { Io } from './context.js';
import { registerCommands } from './program.js';

// `vmmeta logs vm1 | head -1`: once the reader has gone there is nobody to tell, so a closed stdout (or stderr)
// ends the command quietly with exit 0, as `git log | head` does, instead of an EPIPE stack trace.
function endOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    throw err;
  });
}

export function processIo(): Io {
  endOnClosedPipe(process.stdout);
  endOnClosedPipe(process.stderr);
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    env: process.env,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    // A terminal's own width; piped output honours COLUMNS (as ls and ps do) and is otherwise never cut.
    columns: process.stdout.columns ?? (Number.parseInt(process.env.COLUMNS ?? '', 10) || 0),
  };
}

// dist/src/cli/main.js → the package's own package.json.
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

// What commander printed as help under --json, so it can go out as one document instead.
export interface Usage {
  json: boolean;
  helpText?: string;
}

export function buildProgram(io: Io, usage: Usage): Command {
  const program = new Command('vmmeta')
    .description(
      'Per-VM cloud-init metadata for KVM/QEMU and libvirt: OpenStack and EC2 metadata sidecars, SMBIOS, NoCloud CD',
    )
    .option(
      '--state-dir <dir>',
      'state root (default: $VMMETA_STATE_DIR, /var/lib/vmmeta as root, else $XDG_STATE_HOME/vmmeta)',
    )
    .option('--json', 'print one JSON document on stdout (errors too: {"ok":false,"error":{…}})')
    .option('--no-color', 'no colour (also off when stdout is not a terminal or NO_COLOR is set)')
    .version(packageVersion(), '--version', "print vmmeta's version")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // Help and --version text; under --json it is kept and printed as one document by report().
      writeOut: (s) => (usage.json ? void (usage.helpText = (usage.helpText ?? '') + s) : io.out(s)),
      // Help shown for a bare `vmmeta` (a usage error) goes to stderr as it is.
      writeErr: (s) => (usage.json ? void (usage.helpText = (usage.helpText ?? '') + s) : io.err(s)),
      // Commander's own error line is reprinted by report() as `vmmeta: …` with a hint.
      outputError: () => undefined,
    });
  registerCommands(program, io);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

export async function main(argv: string[], io: Io = processIo()): Promise<void> {
  const usage: Usage = { json: argv.includes('--json') };
  const program = buildProgram(io, usage);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode =
      err instanceof CommanderError
        ? reportUsage(err, io, usage, commandPath(program, argv.slice(2)))
        : report(err, io, usage.json);
  }
}

// The command words in argv (`libvirt patch`), for the hint "vmmeta libvirt patch --help".
function commandPath(program: Command, args: string[]): string {
  const words: string[] = [];
  let cmd: Command | undefined = program;
  for (const a of args) {
    if (a.startsWith('-')) continue;
    const sub: Command | undefined = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!sub) break;
    words.push(sub.name());
    cmd = sub;
  }
  return ['vmmeta', ...words].join(' ');
}

function reportUsage(err: CommanderError, io: Io, usage: Usage, path: string): number {
  const shown =
    err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
  // A bare `vmmeta` (or `vmmeta libvirt`) shows the help on stderr with commander's exit code 1: a usage error.
  if (shown && err.exitCode === 0) {
    if (usage.json)
      io.out(
        jsonDocument(err.code === 'commander.version' ? { version: packageVersion() } : { help: usage.helpText ?? '' }),
      );
    return EXIT.ok;
  }
  const [first, ...rest] = shown ? [`no command given`] : err.message.replace(/^error: /, '').split('\n');
  const e = new UserError(first!, {
    exitCode: EXIT.invalid,
    details: rest.filter((l) => l.trim() !== ''),
    hint: `${path} --help`,
  });
  if (usage.json) io.out(errorDocument(e));
  else io.err(formatUserError(e, { color: wantColor({}, io.env, io.stderrIsTTY), width: io.columns }));
  return EXIT.invalid;
}

function report(err: unknown, io: Io, json: boolean): number {
  const fmt = { color: wantColor({ json }, io.env, io.stderrIsTTY), width: io.columns };
  err = fsUserError(err) ?? err;
  if (err instanceof UserError) {
    if (json) io.out(errorDocument(err));
    else io.err(formatUserError(err, fmt));
    return err.exitCode;
  }
  if (json)
    io.out(errorDocument(new UserError('internal error (a bug in vmmeta): see stderr', { exitCode: EXIT.failure })));
  io.err(formatBug(err));
  return EXIT.failure;
}
