// Help text shared by the command wiring (program.ts, vm-commands.ts).
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

// userDataFile is confined to the spec's folder (spec/user-data-file.ts); this lifts that for a spec you wrote.
export const USER_DATA_OUTSIDE_HELP =
  "let userDataFile name any file you can read (absolute, .., or a link out of the spec's folder): only for a spec you trust, since the file is served to the guest";
