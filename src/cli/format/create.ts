// Human output of create and update: what to pass to QEMU or libvirt, where the sidecar is, what the guest
// will pick. Everything else is in --json.
import type { CreateResult } from '../../vm/create-result.js';
import { fields, paint, section, type FormatOptions } from '../output.js';
import { smbiosLines } from './smbios.js';
import { verdictLines } from './verdict.js';

export function formatCreate(r: CreateResult, o: FormatOptions): string {
  const c = paint(o);
  const verb = { created: 'created', updated: 'updated', unchanged: 'unchanged' }[r.action];
  const out: string[] = [`${c.green('✓')} ${c.bold(r.name)} ${verb} (uuid ${r.uuid}) in ${r.dir}\n`];
  const sidecar = r.sidecar
    ? `${r.sidecar.host ? 'vmmeta host ' : ''}pid ${r.sidecar.pid} (${r.sidecarAction}), ${r.sidecar.listen.map((l) => l.url ?? l.address).join(', ')}`
    : 'not running (start it with: vmmeta start ' + r.name + ')';
  const cd = r.cdrom
    ? `${r.cdrom.path} (bus ${r.cdrom.bus})`
    : r.nocloud === 'net'
      ? `none: NoCloud seed via SMBIOS serial ${r.seedUrl}`
      : 'suppressed';
  out.push(
    fields(
      [
        ['sidecar', sidecar],
        ['NoCloud CD', cd],
        ['config drive', r.configDrive ?? undefined],
        // Recorded with the VM: say so, or the next update without the flag would look like it forgot it.
        [
          'kept flags',
          r.recordedFlags.length
            ? `${r.recordedFlags.join(' ')} (recorded with the VM; --from-spec SETTING|all drops them)`
            : undefined,
        ],
        ['repaired', r.repaired.length ? r.repaired.join(', ') : undefined],
        [
          'nft rules',
          r.rules
            ? `table inet vmmeta-${r.name}${r.tap?.bridge ? ` and bridge vmmeta-${r.name}` : ''} ${r.rules} (tap ${r.tap?.device}, port ${r.tap?.port})`
            : undefined,
        ],
      ],
      o,
      '  ',
    ),
  );
  if (r.changes.length)
    out.push(section(c.yellow('Next boot'), r.changes.map((x) => `  ${c.yellow('!')} ${x.message}\n`).join(''), o));
  for (const k of r.kept) out.push(`  ${c.yellow('!')} ${k.message}\n`);
  out.push(
    section(
      'QEMU',
      fields(
        [
          ['arguments', `mapfile -t A < ${r.qemu.files.txt}; qemu-system-x86_64 "${'$'}{A[@]}" …`],
          ['one line', r.qemu.files.sh],
          [
            'guestfwd',
            r.tap
              ? `none: tap mode, the guest's own NIC on ${r.tap.device}`
              : (r.qemu.guestfwd ?? 'none (no unix listener): route 169.254.169.254:80 to the sidecar yourself'),
          ],
        ],
        o,
        '  ',
      ),
      o,
    ),
  );
  out.push(
    section(
      'libvirt',
      fields(
        [
          ['domain', r.libvirt.domainXml],
          ['patch', `vmmeta libvirt patch <domain.xml> ${r.name} --in-place`],
        ],
        o,
        '  ',
      ),
      o,
    ),
  );
  out.push(section('SMBIOS', smbiosLines(r.smbios, o), o));
  out.push(
    section(
      'Datasource',
      indent(verdictLines(r.datasource.predicted, r.datasource.reasons.slice(-1), r.datasource.warnings, o)),
      o,
    ),
  );
  out.push(`${paint(o).dim(`(why: vmmeta explain ${r.name})`)}\n`);
  return out.join('');
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}
