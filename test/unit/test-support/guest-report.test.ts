// The serial-report parser against what sid's console really interleaves: systemd's terminal queries (DCS, OSC,
// ESC 7/8) right before a marker, and systemd status or kernel lines inside a section.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { sections } from '../../guest/lib/report.js';

const E = '\x1b';
test('markers after terminal queries still open a section; console noise inside one is dropped', () => {
  const log = [
    `${E}P+q6E616D65${E}\\${E}[18t${E}7${E}[32766;32766H${E}[6n${E}8${E}]104${E}\\${E}[0m${E}]3008;start=1;user=root${E}\\=== BEGIN datasource ===`,
    'Datasource DataSourceNone.',
    '=== END datasource ===',
    '=== BEGIN cloud_id ===',
    `[${E}[0;1;31mFAILED${E}[0m] Failed to start ${E}[0;1;39mnetplan-configure.service${E}[0m - Netplan Backend Configuration.`,
    '         Starting systemd-networkd.service - Network Configuration...',
    '[  162.245917] cloud-init[427]: something on the console',
    'disabled',
    '=== END cloud_id ===',
  ].join('\r\n');
  const s = sections(log);
  assert.equal(s.get('datasource'), 'Datasource DataSourceNone.');
  assert.equal(s.get('cloud_id'), 'disabled');
});

test('a section without its end marker is not reported', () => {
  assert.equal(sections('=== BEGIN x ===\nhalf\n').has('x'), false);
});
