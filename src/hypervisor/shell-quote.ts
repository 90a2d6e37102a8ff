// POSIX single-quote quoting: the one form that both /bin/sh and GLib's g_shell_parse_argv (used by libslirp for
// guestfwd cmd:) read back as the same words, with no expansion of $, `, \ or globs.
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function quoteWord(word: string): string {
  if (word !== '' && PLAIN_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

// A leading NAME=value word would be a variable assignment to sh, so the first word never stays bare with "=".
export function shellQuote(argv: readonly string[]): string {
  return argv.map((w, i) => (i === 0 && w.includes('=') ? `'${w.replaceAll("'", `'\\''`)}'` : quoteWord(w))).join(' ');
}
