// The integration templates: the systemd units (per VM, and host mode) pass `systemd-analyze verify`, and the libvirt qemu hook, run by
// bash with libvirt's argv against a temp state root, starts the sidecar on prepare (failing the hook when it
// cannot), stops it on release, and ignores domains vmmeta does not know.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, vmmeta, json, tempRoot, cleanupRoot, writeSpec } from '../helpers/cli.js';

const TEMPLATES = fileURLToPath(new URL('../../../templates/', import.meta.url));
const root = tempRoot();
const specDir = tempRoot('vmspec-');
after(async () => {
  await cleanupRoot(root);
  await cleanupRoot(specDir);
});

function hook(domain: string, operation: string, phase: string, xml = '<domain/>') {
  return spawnSync('bash', [join(TEMPLATES, 'libvirt-hook-qemu'), domain, operation, phase, '-'], {
    input: xml,
    env: { ...process.env, VMMETA: `${process.execPath} ${BIN}`, VMMETA_STATE_DIR: root },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

type Inspected = { sidecar: { state: string; answering: boolean } };
const sidecarState = async (vm: string) => json<Inspected>(await vmmeta(['inspect', vm, '--json'], { root })).sidecar;

// The per-VM unit (instantiated as vm1) and the host-mode unit.
const UNITS = [
  {
    template: 'vmmeta-sidecar@.service',
    as: 'vmmeta-sidecar@vm1.service',
    lines: ['ExecStart=/usr/bin/env vmmeta serve %i', 'ReadWritePaths=/var/lib/vmmeta/%i'],
  },
  {
    template: 'vmmeta-host.service',
    as: 'vmmeta-host.service',
    lines: ['ExecStart=/usr/bin/env vmmeta host', 'ReadWritePaths=/var/lib/vmmeta', 'LimitNOFILE=65536'],
  },
];
for (const u of UNITS)
  test(`the systemd unit ${u.template} passes systemd-analyze verify and keeps its promises`, (t) => {
    const unit = readFileSync(join(TEMPLATES, u.template), 'utf8');
    for (const line of [
      ...u.lines,
      'Restart=always',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'PrivateTmp=yes',
      'ExecReload=/bin/kill -HUP $MAINPID',
    ]) {
      assert.ok(unit.split('\n').includes(line), line);
    }
    if (spawnSync('systemd-analyze', ['--version']).status !== 0) return t.skip('systemd-analyze is not installed');
    const dir = mkdtempSync(join(tmpdir(), 'unit-'));
    copyFileSync(join(TEMPLATES, u.template), join(dir, u.as));
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, u.as)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'no warnings');
  });

test(
  'the libvirt hook starts the sidecar on prepare, ignores other phases, stops it on release',
  { timeout: 120_000 },
  async () => {
    const c = await vmmeta(['create', writeSpec(specDir, 'hooked', 'datasource: { nocloud: none }\n'), '--no-start'], {
      root,
    });
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await sidecarState('hooked')).state, 'stopped');
    const prepare = hook('hooked', 'prepare', 'begin');
    assert.equal(prepare.status, 0, prepare.stderr);
    const s = await sidecarState('hooked');
    assert.deepEqual(
      [s.state, s.answering],
      ['running', true],
      'answering when the hook returns, before the guest boots',
    );
    assert.equal(hook('hooked', 'start', 'begin').status, 0, 'idempotent');
    assert.equal(hook('hooked', 'started', 'begin').status, 0);
    assert.equal((await sidecarState('hooked')).state, 'running');
    const release = hook('hooked', 'release', 'end');
    assert.equal(release.status, 0, release.stderr);
    assert.equal((await sidecarState('hooked')).state, 'stopped');
  },
);

test(
  'the hook ignores domains vmmeta does not know, and fails prepare when the sidecar cannot start',
  { timeout: 60_000 },
  async () => {
    for (const domain of ['not-a-vmmeta-vm', '../etc', '']) {
      const r = hook(domain, 'prepare', 'begin');
      assert.equal(r.status, 0, domain);
      assert.equal(r.stderr, '');
    }
    await vmmeta(['create', writeSpec(specDir, 'broken', 'datasource: { nocloud: none }\n'), '--no-start'], { root });
    writeFileSync(join(root, 'broken', 'served.json'), '{"version": 99}');
    const r = hook('broken', 'prepare', 'begin');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^vmmeta: the metadata sidecar of broken did not start: /);
    assert.equal((await sidecarState('broken')).state, 'stopped', 'no orphan left behind');
  },
);
