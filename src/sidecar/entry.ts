// What the two long-running entries (`vmmeta serve`, `vmmeta host`) share with every command without loading the
// CLI: the error document of cli/output.ts for a failure, and their JSON event lines on stdout.

// One line on stderr ("vmmeta serve: …" and the hint), or with --json the CLI's error document on stdout; then exit.
export function failEntry(command: string, json: boolean, message: string, code: number, hint?: string): never {
  if (json)
    process.stdout.write(
      JSON.stringify({ ok: false, error: { message, code, details: [], hint: hint ?? null } }, null, 2) + '\n',
    );
  else process.stderr.write(`vmmeta ${command}: ${message}\n${hint ? `${hint}\n` : ''}`);
  process.exit(code);
}

export function emitEvent(event: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n');
}
