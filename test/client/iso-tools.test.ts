// buildIso with both real tools, read back with the real readers: isoinfo (Rock Ridge and Joliet) and xorriso's
// extractor must return the same bytes for every file, under the same long, lower-case names.
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIso, findIsoTool } from '../../src/hypervisor/iso.js';
import type { IsoTool } from '../../src/hypervisor/iso.js';
import { sortedTree, utf8 } from '../../src/render/tree.js';
import { UserError } from '../../src/errors.js';

const NOCLOUD = sortedTree([
  ['meta-data', utf8('instance-id: 3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10\nlocal-hostname: vm1\n')],
  ['user-data', utf8('#cloud-config\nwrite_files:\n- path: /tmp/ü\n  content: "héllo"\n')],
  ['vendor-data', utf8('')],
  ['network-config', utf8('version: 2\nethernets: {}\n')],
  ['a-rather-long-file-name-that-iso9660-level-1-would-mangle.json', new Uint8Array([0, 1, 2, 255, 10])],
]);

const CONFIG2 = sortedTree([
  ['openstack/2018-08-27/meta_data.json', utf8('{"uuid": "3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10"}\n')],
  ['openstack/latest/meta_data.json', utf8('{"uuid": "3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10"}\n')],
  ['openstack/latest/network_data.json', utf8('{}\n')],
  ['openstack/latest/user_data', utf8('#!/bin/sh\necho hi\n')],
  ['ec2/latest/meta-data.json', utf8('{"instance-id": "i-1"}\n')],
]);

function volumeId(iso: string): string {
  const out = execFileSync('isoinfo', ['-d', '-i', iso], { encoding: 'utf8' });
  return /^Volume id: (.*)$/m.exec(out)?.[1] ?? '';
}

function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n), `${prefix}${n}/`) : [`${prefix}${n}`]));
}

for (const tool of ['genisoimage', 'xorriso'] as IsoTool[]) {
  describe(`buildIso with ${tool}`, () => {
    for (const [volume, tree] of [
      ['cidata', NOCLOUD],
      ['config-2', CONFIG2],
    ] as const) {
      test(`${volume}: volume id, names and bytes survive isoinfo -R, isoinfo -J and xorriso -osirrox`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'vmmeta-iso-test-'));
        try {
          const iso = join(dir, `${volume}.iso`);
          await buildIso(tree, { volumeId: volume, out: iso, tool });
          assert.equal(volumeId(iso), volume);
          assert.deepEqual(readdirSync(dir), [`${volume}.iso`], 'no temp file left behind');
          assert.equal(statSync(iso).mode & 0o777, 0o644);
          for (const [path, bytes] of tree) {
            for (const ext of ['-R', '-J']) {
              const got = execFileSync('isoinfo', ['-i', iso, ext, '-x', `/${path}`]);
              assert.deepEqual(new Uint8Array(got), bytes, `isoinfo ${ext} -x /${path}`);
            }
          }
          const out = join(dir, 'x');
          execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', out], { stdio: 'ignore' });
          assert.deepEqual(walk(out), [...tree.keys()]);
          for (const [path, bytes] of tree)
            assert.deepEqual(new Uint8Array(readFileSync(join(out, path))), bytes, path);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
}

test('rebuilding replaces the ISO atomically and keeps the file order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmmeta-iso-test-'));
  try {
    const iso = join(dir, 'cidata.iso');
    await buildIso(NOCLOUD, { volumeId: 'cidata', out: iso });
    const reversed = new Map([...NOCLOUD].reverse());
    const other = join(dir, 'other.iso');
    await buildIso(reversed, { volumeId: 'cidata', out: other });
    const list = (f: string) => execFileSync('isoinfo', ['-i', f, '-R', '-f'], { encoding: 'utf8' });
    assert.equal(list(iso), list(other));
    await buildIso(
      sortedTree([
        ['meta-data', utf8('x')],
        ['user-data', utf8('y')],
      ]),
      { volumeId: 'cidata', out: iso },
    );
    assert.equal(list(iso), '/meta-data\n/user-data\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no ISO tool on PATH: a UserError naming the packages, and nothing written', async () => {
  assert.equal(findIsoTool('/nonexistent'), null);
  const saved = process.env.PATH;
  const dir = mkdtempSync(join(tmpdir(), 'vmmeta-iso-test-'));
  process.env.PATH = '/nonexistent';
  try {
    await assert.rejects(
      buildIso(NOCLOUD, { volumeId: 'cidata', out: join(dir, 'c.iso') }),
      (e: unknown) => e instanceof UserError && /genisoimage/.test(e.hint ?? ''),
    );
    assert.equal(existsSync(join(dir, 'c.iso')), false);
  } finally {
    process.env.PATH = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('paths that are not a disk tree are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmmeta-iso-test-'));
  try {
    for (const bad of ['/abs', 'a/../b', 'dir/']) {
      await assert.rejects(
        buildIso(new Map([[bad, utf8('x')]]), { volumeId: 'cidata', out: join(dir, 'c.iso') }),
        /not a disk tree path/,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
