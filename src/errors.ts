// The leaf every layer imports; it imports nothing. Two kinds of error. A UserError is already explained: message,
// an optional hint (the command to run or the file to read) and a documented exit code. Anything else escaping a
// command is a bug and is printed with its stack.

export const EXIT = {
  ok: 0,
  failure: 1, // the operation was valid but failed (a tool missing, the sidecar did not start, …)
  invalid: 2, // invalid input or usage: bad spec, bad flag
  notFound: 3, // no such VM
  conflict: 4, // another command holds the VM's lock, or the change needs --force
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class UserError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly details: string[];
  constructor(message: string, opts: { exitCode?: ExitCode; hint?: string; details?: string[] } = {}) {
    super(message);
    this.name = 'UserError';
    this.exitCode = opts.exitCode ?? EXIT.failure;
    this.hint = opts.hint;
    this.details = opts.details ?? [];
  }
}

// A state root or VM folder that another local user could write (state/secure-dir.ts decides): thrown by the
// sidecar too, so it lives here, in the leaf every layer may import.
export class UnsafeStateError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

// File-system failures every command can hit (a read-only or full state root, a folder owned by someone else)
// are explained, not bugs: exit 1 with what failed, where, and what to do.
const FS_REASONS: Record<string, { reason: string; hint: string }> = {
  EROFS: { reason: 'read-only file system', hint: 'remount it read-write, or pass --state-dir / VMMETA_STATE_DIR' },
  ENOSPC: { reason: 'no space left on device', hint: 'free space on that file system and run the command again' },
  EDQUOT: { reason: 'disk quota exceeded', hint: 'free space within your quota and run the command again' },
  EACCES: { reason: 'permission denied', hint: 'run as the user who owns the state root, or pass --state-dir' },
  EPERM: { reason: 'operation not permitted', hint: 'run as the user who owns the state root, or pass --state-dir' },
  EMFILE: { reason: 'too many open files', hint: 'raise the open-file limit (ulimit -n)' },
  ELOOP: {
    reason: 'a symbolic link, which vmmeta does not follow in a VM folder',
    hint: 'remove the link (someone who can write the folder planted it), then run the command again',
  },
};

export function fsUserError(err: unknown): UserError | undefined {
  const e = err as NodeJS.ErrnoException;
  if (e instanceof UnsafeStateError) return new UserError(e.message, { exitCode: EXIT.failure, hint: e.hint });
  const known = e?.code ? FS_REASONS[e.code] : undefined;
  if (!known) return undefined;
  const op = e.syscall ?? 'write';
  const where = typeof e.path === 'string' ? ` ${e.path}` : '';
  return new UserError(`cannot ${op}${where}: ${known.reason} (${e.code})`, {
    exitCode: EXIT.failure,
    hint: known.hint,
  });
}
