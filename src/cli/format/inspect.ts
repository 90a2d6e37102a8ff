// Human output of inspect: warnings first (they are why people run it), then the facts.
import type { InspectResult } from '../commands/inspect.js';
import type { AccessRecord } from '../../vm/access-log.js';
import { REDACTED, ago, fields, paint, section, type FormatOptions } from '../output.js';
import { smbiosLines } from './smbios.js';
import { settingFields } from './settings.js';
import { verdictLines } from './verdict.js';
import { formatLogLine } from './logs.js';
import { hotplugLine } from './explain.js';

export function formatInspect(r: InspectResult, o: FormatOptions, now = Date.now()): string {
  const c = paint(o);
  const out: string[] = [`${c.bold(r.name)}  uuid ${r.uuid}  (${r.dir})\n`];
  if (r.warnings.length) {
    out.push(
      section(
        c.yellow(`Warnings (${r.warnings.length})`),
        r.warnings
          .map((w) => `  ${c.yellow('!')} ${w.message}${w.hint ? `\n    ${c.dim(`hint: ${w.hint}`)}` : ''}`)
          .join('\n') + '\n',
        o,
      ),
    );
  } else {
    out.push(`${c.green('✓')} no problems found\n`);
  }
  const s = r.spec;
  out.push(
    section(
      'Spec',
      fields(
        [
          ['hostname', r.hostname],
          ['instance id', r.instanceId],
          ['zone', s.availabilityZone],
          ['ssh keys', s.sshKeys.join(', ') || 'none'],
          ['links', s.links.map((l) => `${l.id} (${l.type} ${l.mac})`).join(', ') || 'none'],
          [
            'networks',
            s.networks.map((n) => `${n.link} ${n.type}${n.address ? ` ${n.address}` : ''}`).join(', ') || 'none',
          ],
          ['user-data', s.userData ? `${s.userData.bytes} bytes, sha256 ${s.userData.sha256.slice(0, 16)}…` : 'none'],
          ['guest', `${s.guest.arch}, cloud-init ${s.guest.cloudInit}`],
          ['created', `${r.createdAt}, updated ${r.updatedAt}`],
        ],
        o,
        '  ',
      ),
      o,
    ),
  );
  out.push(
    section(
      'Documents',
      fields(
        [
          [
            'meta/',
            `${r.documents.files} files in ${r.documents.meta} (${Object.entries(r.documents.formats)
              .map(([k, n]) => `${k} ${n}`)
              .join(', ')})`,
          ],
          ['spec', s.file],
          ['QEMU args', r.qemu.argsFile],
        ],
        o,
        '  ',
      ),
      o,
    ),
  );
  out.push(section('SMBIOS', smbiosLines(r.smbios, o), o));
  const cd = r.cdrom.attached
    ? `attached: ${r.cdrom.path} (bus ${r.cdrom.bus})${r.cdrom.present ? '' : c.red(' — file missing')}`
    : r.nocloud === 'net'
      ? 'none (NoCloud seed URL in the SMBIOS serial)'
      : 'suppressed';
  out.push(
    section(
      'Disks',
      fields(
        [
          ['NoCloud CD', cd],
          ['config drive', r.configDrive.attached ? r.configDrive.path! : 'none'],
        ],
        o,
        '  ',
      ),
      o,
    ),
  );
  if (r.settings) out.push(section('Settings', fields(settingFields(r.settings), o, '  '), o));
  const hot = r.hotplug.nics.map((n): [string, string] => [
    n.id,
    `${n.mac} ${n.addresses.join(' ')}, plugged in ${n.addedAt}; ${n.fetchedAfter ? `guest re-read network_data.json at ${n.fetchedAfter}` : c.red('guest has not re-read network_data.json since')}`,
  ]);
  out.push(section('NIC hot-plug', fields([['guest', hotplugLine(r.hotplug)], ...hot], o, '  '), o));
  out.push(
    section(
      'Datasource',
      verdictLines(r.datasource.predicted, r.datasource.reasons, [], o).replace(/^(?=.)/gm, '  '),
      o,
    ),
  );
  const sc = r.sidecar;
  const state =
    sc.state === 'running'
      ? sc.answering
        ? c.green('running, answering')
        : c.red('running, NOT answering')
      : c.red(sc.state);
  out.push(
    section(
      'Sidecar',
      fields(
        [
          ['state', `${state}${sc.pid ? ` (${sc.host ? 'vmmeta host, ' : ''}pid ${sc.pid})` : ''}`],
          [
            'host mode',
            sc.hostProcess
              ? sc.hostProcess.running
                ? `vmmeta host pid ${sc.hostProcess.pid}: ${sc.hostProcess.vm?.state ?? 'not loaded'}${sc.hostProcess.vm?.error ? ` (${sc.hostProcess.vm.error})` : ''}`
                : c.red('no vmmeta host running')
              : undefined,
          ],
          ['uptime', sc.uptimeSeconds !== null ? ago(sc.startedAt, now) : undefined],
          ['listen', sc.listen?.map((l) => l.url ?? l.address).join(', ')],
          [
            'checked',
            sc.probes.map((p) => `${p.address} ${p.ok ? `${p.status} in ${p.ms} ms` : p.error}`).join('; ') ||
              undefined,
          ],
          ['guestfwd', r.qemu.guestfwd ?? 'none'],
        ],
        o,
        '  ',
      ),
      o,
    ),
  );
  const t = r.tapPath;
  if (t) {
    out.push(
      section(
        'Tap path',
        fields(
          [
            [
              'tap',
              `${t.device} ${t.tap.exists ? `${t.tap.up ? 'up' : 'down'}, ${t.tap.master ? `on ${t.tap.master}` : 'on no bridge'}` : c.red('missing')}${t.tap.exists && t.tap.master !== t.bridge ? c.red(` (expected ${t.bridge ?? 'routed'})`) : ''}`,
            ],
            ['rules', t.rules === 'match' ? `tables vmmeta-${r.name} loaded, match port ${t.port}` : c.red(t.rules)],
            [
              'via tap',
              t.requestsViaTap
                ? `${t.requestsViaTap} requests, last ${ago(t.lastViaTap ?? undefined, now)} ago`
                : 'no request has come through the tap yet',
            ],
          ],
          o,
          '  ',
        ),
        o,
      ),
    );
  }
  out.push(
    section(`Requests from the guest (${r.requests.total})`, requestLines(r.requests.last, r.requests.total, o), o),
  );
  out.push(section('Secrets', secretLines(r, o), o));
  return out.join('');
}

// The same values as the JSON document: redacted unless --show-secrets, which prints them in full (user-data
// last, indented, since it is the long one; bytes that are not text, such as gzip, are only pointed to).
function secretLines(r: InspectResult, o: FormatOptions): string {
  const s = r.spec;
  const vendor =
    s.vendorData === null ? 'none' : typeof s.vendorData === 'string' ? s.vendorData : JSON.stringify(s.vendorData);
  const head = fields(
    [
      ['token key', r.secrets.tokenKey ?? 'none'],
      ['guest password', r.secrets.password ?? 'none'],
      ['admin password', s.adminPassword ?? 'none'],
      ['vendor-data', vendor],
      [
        'user-data',
        !s.userData
          ? 'none'
          : s.userData.content === REDACTED
            ? REDACTED
            : isText(s.userData.content)
              ? `${s.userData.bytes} bytes:`
              : `${s.userData.bytes} bytes, not text: see ${r.documents.meta}/nocloud/user-data`,
      ],
    ],
    o,
    '  ',
  );
  const ud =
    s.userData && s.userData.content !== REDACTED && isText(s.userData.content)
      ? s.userData.content
          .replace(/\n$/, '')
          .split('\n')
          .map((l) => `    ${l}\n`)
          .join('')
      : '';
  return head + ud;
}

function isText(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\uFFFD\x00-\x08\x0B\x0C\x0E-\x1F]/.test(s);
}

function requestLines(last: AccessRecord[], total: number, o: FormatOptions): string {
  if (!total) return '  none: the guest has not called the sidecar\n';
  return last.map((e) => `  ${formatLogLine(e, o)}`).join('');
}
