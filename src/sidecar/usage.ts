// The options of `vmmeta serve` (and of `vmmeta host`, routed the same way), in one place for both entries: bin/vmmeta.js routes `serve` to sidecar/main.ts
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
    flags: '--await-launch <pid>',
    about:
      "what create starts it with: wait until the VM folder's sidecar.launch names this process, then serve (give up once <pid>, the launching create, is no longer its parent)",
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

// The layout commander gives every other command's --help.
function helpText(usage: string, about: string[], options: typeof SERVE_OPTIONS, examples: string[]): string {
  const w = Math.max(...options.map((o) => o.flags.length));
  return [
    usage,
    '',
    ...about,
    '',
    'Options:',
    ...options.map((o) => `  ${o.flags.padEnd(w)}  ${o.about}`),
    '',
    'Examples:',
    ...examples.map((e) => `  $ ${e}`),
    '',
  ].join('\n');
}

export const SERVE_ABOUT =
  "run a VM's metadata sidecar in the foreground (create starts it detached; the systemd unit runs it)";

export function serveHelp(): string {
  return helpText(SERVE_USAGE, [SERVE_ABOUT], SERVE_OPTIONS, SERVE_EXAMPLES);
}

export const HOST_USAGE = 'usage: vmmeta host [--state-dir DIR]';

export const HOST_OPTIONS: ReadonlyArray<{ flags: string; about: string }> = [
  {
    flags: '--state-dir <dir>',
    about: 'state root (default: $VMMETA_STATE_DIR, /var/lib/vmmeta as root, else $XDG_STATE_HOME/vmmeta)',
  },
  { flags: '--json', about: 'a failure is one JSON document on stdout; events are JSON lines either way' },
  { flags: '--no-color', about: 'accepted as for every command (host prints no colour)' },
  { flags: '-h, --help', about: 'print this help' },
];

export const HOST_EXAMPLES = [
  'vmmeta host',
  'vmmeta host --state-dir /var/lib/vmmeta',
  'systemctl enable --now vmmeta-host',
];

export const HOST_ABOUT =
  "serve every host-mode VM of the state root (spec: sidecar.mode: host) from one process, each VM on listeners of its own; create, update, start, stop and delete of those VMs talk to it over the root's 0600 host.sock";

export function hostHelp(): string {
  return helpText(HOST_USAGE, [HOST_ABOUT], HOST_OPTIONS, HOST_EXAMPLES);
}
