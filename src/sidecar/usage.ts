// The options of `vmmeta serve`, in one place for both entries: bin/vmmeta.js routes `serve` to sidecar/main.ts
// before commander loads (so `vmmeta serve --help` prints SERVE_HELP), while `vmmeta help serve` goes through
// commander (cli/program.ts declares the same rows). Plain data, no imports, so the sidecar stays lean.
export const SERVE_OPTIONS: ReadonlyArray<{ flags: string; about: string }> = [
  {
    flags: '--state-dir <dir>',
    about: 'state root (default: $VMMETA_STATE_DIR, /var/lib/vmmeta as root, else $XDG_STATE_HOME/vmmeta)',
  },
  {
    flags: '--listen <addr>',
    about:
      "listen here instead of the spec's sidecar.listen (default: unix, the VM's 0600 socket): unix, 127.0.0.1:0, ADDR:PORT (repeatable; a loopback port is readable by every local user)",
  },
  {
    flags: '--allow-all-interfaces',
    about: "allow --listen 0.0.0.0 / [::] (refused otherwise: it serves the VM's metadata to every network)",
  },
  {
    flags: '--json',
    about:
      'a failure is one JSON document on stdout ({"ok":false,"error":{…}}), as for every command; events are JSON lines either way',
  },
  { flags: '--no-color', about: 'accepted as for every command (serve prints no colour)' },
  { flags: '-h, --help', about: 'print this help' },
];

export const SERVE_USAGE = 'usage: vmmeta serve <vm> [--state-dir DIR] [--listen ADDR ...] [--allow-all-interfaces]';

export const SERVE_EXAMPLES = [
  'vmmeta serve vm1',
  'vmmeta serve vm1 --listen unix --listen 169.254.169.254:80',
  'systemctl start vmmeta-sidecar@vm1',
];

export function serveHelp(): string {
  const w = Math.max(...SERVE_OPTIONS.map((o) => o.flags.length));
  return [
    SERVE_USAGE,
    '',
    "run a VM's metadata sidecar in the foreground (create starts it detached; the systemd unit runs it)",
    '',
    'Options:',
    ...SERVE_OPTIONS.map((o) => `  ${o.flags.padEnd(w)}  ${o.about}`),
    '',
    'Examples:',
    ...SERVE_EXAMPLES.map((e) => `  $ ${e}`),
    '',
  ].join('\n');
}
