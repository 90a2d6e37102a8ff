// The program QEMU runs for every guest connection to 169.254.169.254:80 (`guestfwd=…-cmd:<program>`). libslirp's
// fork_exec() splits the string with g_shell_parse_argv (shell-style quoting, no expansion, no /bin/sh) and spawns
// it with stdin, stdout AND stderr all on the guest's TCP stream, so the relay must never print: socat logs to
// /dev/null. One short-lived process per connection is what makes later requests work; the chardev form
// (`-tcp:host:port`) holds a single connection for QEMU's lifetime (guest-testing.md).
import { UserError, EXIT } from '../errors.js';
import { socketPathProblem } from '../state/layout.js';
import { shellQuote } from './shell-quote.js';

// socat's address parser treats , : ! ' " \ specially.
const SAFE_PATH = /^\/[A-Za-z0-9_./@+-]+$/;

export function guestfwdConnector(socketPath: string): string {
  if (!SAFE_PATH.test(socketPath)) {
    throw new UserError(
      `sidecar socket path ${JSON.stringify(socketPath)} must be absolute and use only letters, digits and _ . / @ + -`,
      {
        exitCode: EXIT.invalid,
        hint: 'set VMMETA_STATE_DIR to a plain path',
      },
    );
  }
  const tooLong = socketPathProblem(socketPath);
  if (tooLong)
    throw new UserError(tooLong, {
      exitCode: EXIT.invalid,
      hint: 'use a shorter state root: --state-dir or VMMETA_STATE_DIR',
    });
  return shellQuote(['socat', '-lf', '/dev/null', '-', `UNIX-CONNECT:${socketPath}`]);
}
