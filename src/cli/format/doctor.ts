// Human output of doctor: one line per host check, its hint when it is not ok.
import type { Check } from '../commands/doctor.js';
import { paint, plural, type FormatOptions } from '../output.js';

export function formatDoctor(r: { root: string; checks: Check[] }, o: FormatOptions): string {
  const c = paint(o);
  const mark = { ok: c.green('ok  '), warn: c.yellow('warn'), fail: c.red('FAIL') };
  const w = Math.max(...r.checks.map((x) => x.name.length));
  const lines = r.checks.map(
    (x) =>
      `${mark[x.status]}  ${x.name.padEnd(w)}  ${x.detail}${x.hint && x.status !== 'ok' ? `\n      ${' '.repeat(w)}  ${c.dim(`hint: ${x.hint}`)}` : ''}`,
  );
  const failed = r.checks.filter((x) => x.status === 'fail').length;
  return lines.join('\n') + `\n${failed ? c.red(`${plural(failed, 'check')} failed`) : 'all required checks passed'}\n`;
}
