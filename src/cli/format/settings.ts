import type { Settings } from '../../vm/overrides.js';

// "nocloud  none (from the flag --nocloud none)" lines: where each override-able setting came from.
export function settingFields(s: Settings): Array<[string, string]> {
  return Object.entries(s).map(([name, { value, source }]) => {
    const v = Array.isArray(value) ? value.join(', ') : String(value);
    const from =
      source === 'flag'
        ? `from a command-line flag; drop it with --from-spec ${name}`
        : source === 'spec'
          ? 'from the spec'
          : 'default';
    return [name, `${v} (${from})`];
  });
}
