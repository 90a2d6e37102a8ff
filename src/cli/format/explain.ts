// Human output of explain: the VM's disks, SMBIOS and settings, then the predicted datasource and why.
import type { ExplainResult } from '../commands/explain.js';
import { fields, paint, type FormatOptions } from '../output.js';
import { smbiosLines } from './smbios.js';
import { settingFields } from './settings.js';
import { verdictLines } from './verdict.js';

export function formatExplain(r: ExplainResult, o: FormatOptions): string {
  const c = paint(o);
  const disks =
    [r.disks.cidata ? 'cidata CD' : '', r.disks.config2 ? 'config-2 disk' : ''].filter(Boolean).join(', ') || 'none';
  return (
    `${c.bold(r.name)} (${r.source === 'spec' ? `from ${r.target}, as create would set it up` : 'as created, sidecar as it is now'})\n` +
    fields(
      [
        ['guest', `${r.arch}, cloud-init ${r.cloudInit}`],
        ['disks', disks],
        ['sidecar', r.sidecar ? 'answering' : 'not answering'],
      ],
      o,
      '  ',
    ) +
    (r.settings ? fields(settingFields(r.settings), o, '  ') : '') +
    smbiosLines(r.smbios, o) +
    verdictLines(r.predicted, r.reasons, r.warnings, o) +
    generations(r, o) +
    fields([['NIC hot-plug', hotplugLine(r.hotplug)]], o, '  ')
  );
}

// "cloud-init 22.4, 25.1 act on it, 20.4 does not; this guest: …" (explain), or the guest's own note (inspect).
export function hotplugLine(
  h: ExplainResult['hotplug'] | { network: boolean; acts: boolean; note: string; machine: string; rootPorts: number },
): string {
  const ports = h.machine === 'q35' ? `, q35 with ${h.rootPorts} spare root port${h.rootPorts === 1 ? '' : 's'}` : '';
  if (!('generations' in h)) return `${h.network ? 'on' : 'off'}${ports}: ${h.note}`;
  const acts = Object.entries(h.generations)
    .filter(([, a]) => a)
    .map(([g]) => g);
  const not = Object.keys(h.generations).filter((g) => !acts.includes(g));
  const which = h.network
    ? `cloud-init ${acts.join(', ')} act on it${not.length ? `, ${not.join(', ')} does not` : ''}`
    : 'off';
  return `${which}${ports}; this guest: ${h.note}`;
}

// The same VM under each cloud-init generation vmmeta models, when they do not all agree.
function generations(r: ExplainResult, o: FormatOptions): string {
  const by = Object.entries(r.verdict.byGeneration ?? {});
  if (new Set(by.map(([, g]) => g.winner)).size <= 1) return '';
  return fields(
    by.map(([gen, g]) => [`cloud-init ${gen}`, g.winner ? `DataSource${g.winner}` : 'disabled']),
    o,
    '  ',
  );
}
