// Human output of validate, render, explain, doctor and libvirt patch.
import type { ValidateResult } from './commands/validate.js';
import type { RenderResult } from './commands/render.js';
import type { ExplainResult } from './commands/explain.js';
import type { Settings } from '../vm/overrides.js';
import type { Check } from './commands/doctor.js';
import type { PatchResult } from './commands/libvirt-patch.js';
import { fields, paint, plural, table, type FormatOptions } from './output.js';
import { smbiosLines } from './format-create.js';

export function formatValidate(r: ValidateResult, o: FormatOptions): string {
  const c = paint(o);
  return `${c.green('✓')} ${r.source}: valid spec for VM ${c.bold(r.name)}\n` + fields([
    ['hostname', r.hostname],
    ['uuid', r.uuid ?? '(generated at create)'],
    ['ssh keys', r.sshKeys.join(', ') || 'none'],
    ['user-data', r.userDataBytes ? `${r.userDataBytes} bytes` : 'none'],
    ['network', `${plural(r.links, 'link')}, ${plural(r.networks, 'network')}`],
    ['nocloud', r.datasource.nocloud + (r.datasource.configDrive ? ' + config drive' : '')],
    ['guest', `${r.guest.arch}, cloud-init ${r.guest.cloudInit}`],
  ], o, '  ');
}

export function formatRender(r: RenderResult, o: FormatOptions): string {
  const rows = r.files.map((f) => [f.mode, String(f.bytes), f.path]);
  const ids = r.ids === 'vm' ? `the uuid of the VM in ${r.vmDir}` : r.ids === 'spec' ? "the spec's uuid" : 'a new uuid (no VM of that name exists: add uuid: to the spec to keep it across renders)';
  const removed = r.removed.length ? `; ${plural(r.removed.length, 'stale file')} of the previous render removed:\n${r.removed.map((f) => `  ${f}\n`).join('')}` : '\n';
  return table(['MODE', 'BYTES', 'PATH'], rows, o) + `${plural(r.files.length, 'file')} written to ${r.out}${removed}instance: ${r.uuid}, ${ids}\n`;
}

export function verdictLines(predicted: string | null, reasons: string[], warnings: string[], o: FormatOptions): string {
  const c = paint(o);
  const head = predicted ? `cloud-init will use ${c.bold(`DataSource${predicted}`)}` : c.red('cloud-init will be disabled (no datasource found)');
  return [head, ...reasons.map((r) => `  - ${r}`), ...warnings.map((w) => `  ${c.yellow('!')} ${w}`)].join('\n') + '\n';
}

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

// "nocloud  none (from the flag --nocloud none)" lines: where each override-able setting came from.
export function settingFields(s: Settings): Array<[string, string]> {
  return Object.entries(s).map(([name, { value, source }]) => {
    const v = Array.isArray(value) ? value.join(', ') : String(value);
    const from = source === 'flag' ? `from a command-line flag; drop it with --from-spec ${name}` : source === 'spec' ? 'from the spec' : 'default';
    return [name, `${v} (${from})`];
  });
}

// The same VM under each cloud-init generation vmmeta models, when they do not all agree.
function generations(r: ExplainResult, o: FormatOptions): string {
  const by = Object.entries(r.verdict.byGeneration ?? {});
  if (new Set(by.map(([, g]) => g.winner)).size <= 1) return '';
  return fields(by.map(([gen, g]) => [`cloud-init ${gen}`, g.winner ? `DataSource${g.winner}` : 'disabled']), o, '  ');
}

export function formatDoctor(r: { root: string; checks: Check[] }, o: FormatOptions): string {
  const c = paint(o);
  const mark = { ok: c.green('ok  '), warn: c.yellow('warn'), fail: c.red('FAIL') };
  const w = Math.max(...r.checks.map((x) => x.name.length));
  const lines = r.checks.map((x) => `${mark[x.status]}  ${x.name.padEnd(w)}  ${x.detail}${x.hint && x.status !== 'ok' ? `\n      ${' '.repeat(w)}  ${c.dim(`hint: ${x.hint}`)}` : ''}`);
  const failed = r.checks.filter((x) => x.status === 'fail').length;
  return lines.join('\n') + `\n${failed ? c.red(`${plural(failed, 'check')} failed`) : 'all required checks passed'}\n`;
}

export function formatPatch(r: PatchResult, _o: FormatOptions): string {
  if (r.stdout) return r.xml;
  return `${r.written ? `wrote ${r.written}` : 'patched'}: SMBIOS sysinfo, uuid and ${r.cdrom ? `cidata CD-ROM (${r.cdrom.path}, bus ${r.cdrom.bus})` : 'no CD-ROM (removed if it was there)'}\n`;
}
