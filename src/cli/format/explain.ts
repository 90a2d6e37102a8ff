// Human output of explain: the VM's disks, SMBIOS and settings, then the predicted datasource and why.
import type { ExplainResult } from '../commands/explain.js';
import { fields, paint, type FormatOptions } from '../output.js';
import { smbiosLines } from './smbios.js';
import { settingFields } from './settings.js';
import { verdictLines } from './verdict.js';

export function formatExplain(r: ExplainResult, o: FormatOptions): string {
  const c = paint(o);
  const disks = [r.disks.cidata ? 'cidata CD' : '', r.disks.config2 ? 'config-2 disk' : ''].filter(Boolean).join(', ') || 'none';
  return (
    `${c.bold(r.name)} (${r.source === 'spec' ? `from ${r.target}, as create would set it up` : 'as created, sidecar as it is now'})\n` +
    fields([['guest', `${r.arch}, cloud-init ${r.cloudInit}`], ['disks', disks], ['sidecar', r.sidecar ? 'answering' : 'not answering']], o, '  ') +
    (r.settings ? fields(settingFields(r.settings), o, '  ') : '') +
    smbiosLines(r.smbios, o) +
    verdictLines(r.predicted, r.reasons, r.warnings, o) +
    generations(r, o)
  );
}

// The same VM under each cloud-init generation vmmeta models, when they do not all agree.
function generations(r: ExplainResult, o: FormatOptions): string {
  const by = Object.entries(r.verdict.byGeneration ?? {});
  if (new Set(by.map(([, g]) => g.winner)).size <= 1) return '';
  return fields(by.map(([gen, g]) => [`cloud-init ${gen}`, g.winner ? `DataSource${g.winner}` : 'disabled']), o, '  ');
}
