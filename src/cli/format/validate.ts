// Human output of validate: the spec's name and the facts a reader checks first.
import type { ValidateResult } from '../commands/validate.js';
import { fields, paint, plural, type FormatOptions } from '../output.js';

export function formatValidate(r: ValidateResult, o: FormatOptions): string {
  const c = paint(o);
  return (
    `${c.green('✓')} ${r.source}: valid spec for VM ${c.bold(r.name)}\n` +
    fields(
      [
        ['hostname', r.hostname],
        ['uuid', r.uuid ?? '(generated at create)'],
        ['ssh keys', r.sshKeys.join(', ') || 'none'],
        ['user-data', r.userDataBytes ? `${r.userDataBytes} bytes` : 'none'],
        ['network', `${plural(r.links, 'link')}, ${plural(r.networks, 'network')}`],
        ['nocloud', r.datasource.nocloud + (r.datasource.configDrive ? ' + config drive' : '')],
        ['guest', `${r.guest.arch}, cloud-init ${r.guest.cloudInit}`],
      ],
      o,
      '  ',
    ) +
    r.warnings.map((w) => `  ${c.yellow('!')} ${w}\n`).join('')
  );
}
