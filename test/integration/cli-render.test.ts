// vmmeta render --out (issue 20): the folder holds exactly the rendered tree, files vmmeta did not write are never
// removed, and a spec naming an existing VM renders with that VM's ids (the same instance for cloud-init).
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { vmmeta, json, tempRoot, cleanupRoot, writeSpec } from '../helpers/cli.js';

const root = tempRoot();
const work = tempRoot('vmwork-');
after(async () => {
  await cleanupRoot(root);
  await cleanupRoot(work);
});

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), base) : [join(dir, e.name).slice(base.length + 1)]))
    .sort();
}

const FULL =
  'userData: |\n  #cloud-config\n  chpasswd: {list: "root:s3cret"}\nnetwork:\n  links:\n    - {id: eth0, type: physical, mac: "52:54:00:12:34:01"}\n  networks:\n    - {link: eth0, type: ipv4, address: 10.0.0.5/24, gateway: 10.0.0.1}\n';

test('render --out twice: files of the first render that the second lacks are removed; a file of the user stays', async () => {
  const out = join(work, 'cd');
  const spec = writeSpec(work, 'stale', FULL);
  const first = await vmmeta(['render', spec, '--out', out, '--format', 'configdrive'], { root });
  assert.equal(first.code, 0, first.stderr);
  assert.ok(
    existsSync(join(out, 'openstack/latest/user_data')) && existsSync(join(out, 'openstack/latest/network_data.json')),
  );
  writeFileSync(join(out, 'NOTES.txt'), 'mine\n');
  writeSpec(work, 'stale');
  const second = await vmmeta(['render', spec, '--out', out, '--format', 'configdrive', '--json'], { root });
  assert.equal(second.code, 0, second.stderr);
  const doc = json<{ files: Array<{ path: string }>; removed: string[] }>(second);
  const onDisk = walk(out);
  assert.deepEqual(
    onDisk,
    [...doc.files.map((f) => f.path.slice(out.length + 1)), 'NOTES.txt'].sort(),
    "exactly the rendered tree, plus the user's own file",
  );
  assert.ok(!onDisk.some((f) => /user_data|network_data\.json/.test(f)), onDisk.join('\n'));
  assert.ok(doc.removed.includes(join(out, 'openstack/latest/user_data')));
  assert.equal(readFileSync(join(out, 'NOTES.txt'), 'utf8'), 'mine\n');
  assert.ok(!readdirSync(out).some((f) => /vmmeta-render/.test(f)), 'the manifest lives next to the folder, not in it');
  assert.ok(existsSync(join(work, '.cd.vmmeta-render.json')));
  const human = await vmmeta(['render', writeSpec(work, 'stale', FULL), '--out', out, '--format', 'configdrive'], {
    root,
  });
  assert.match(human.stdout, /files written to .*\ninstance: [0-9a-f-]{36}, a new uuid/);
  assert.equal(
    (
      await vmmeta(['render', writeSpec(work, 'stale'), '--out', out, '--format', 'configdrive'], { root })
    ).stdout.match(/stale files? of the previous render removed/)?.length,
    1,
  );
});

test('render --out refuses a non-empty folder it did not write (exit 4) and leaves it untouched', async () => {
  const out = join(work, 'theirs');
  mkdirSync(out);
  writeFileSync(join(out, 'keep.txt'), 'x');
  const r = await vmmeta(['render', writeSpec(work, 'refuse'), '--out', out], { root });
  assert.equal(r.code, 4);
  assert.match(r.stderr, /^vmmeta: .*theirs is not empty and was not written by vmmeta render/);
  assert.match(r.stderr, /hint: render into a new or empty folder/);
  assert.deepEqual(walk(out), ['keep.txt']);
  const empty = join(work, 'empty');
  mkdirSync(empty);
  assert.equal(
    (await vmmeta(['render', writeSpec(work, 'refuse'), '--out', empty, '--format', 'nocloud'], { root })).code,
    0,
    'an empty folder is fine',
  );
});

test("render of a spec without uuid naming an existing VM uses that VM's uuid and random seed on every run", async () => {
  const spec = writeSpec(work, 'known');
  assert.equal((await vmmeta(['create', spec, '--no-start'], { root })).code, 0);
  const state = JSON.parse(readFileSync(join(root, 'known', 'state.json'), 'utf8')) as {
    uuid: string;
    randomSeed: string;
  };
  for (const n of [1, 2]) {
    const out = join(work, `known-${n}`);
    const r = await vmmeta(['render', spec, '--out', out, '--json'], { root });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([json<{ ids: string; uuid: string }>(r).ids, json<{ uuid: string }>(r).uuid], ['vm', state.uuid]);
    assert.match(readFileSync(join(out, 'nocloud/meta-data'), 'utf8'), new RegExp(`"instance-id": "${state.uuid}",\n`));
    const md = JSON.parse(readFileSync(join(out, 'openstack/openstack/latest/meta_data.json'), 'utf8')) as {
      uuid: string;
      random_seed: string;
    };
    assert.deepEqual([md.uuid, md.random_seed], [state.uuid, state.randomSeed]);
  }
  const human = await vmmeta(['render', spec, '--out', join(work, 'known-1'), '--format', 'all'], { root });
  assert.match(human.stdout, new RegExp(`instance: ${state.uuid}, the uuid of the VM in ${root}/known\n`));
  // Without a VM of that name, each render is a new instance, and the output says so.
  const a = json<{ uuid: string; ids: string }>(
    await vmmeta(['render', writeSpec(work, 'unknown'), '--out', join(work, 'u1'), '--json'], { root }),
  );
  const b = json<{ uuid: string }>(
    await vmmeta(['render', join(work, 'unknown.yaml'), '--out', join(work, 'u2'), '--json'], { root }),
  );
  assert.equal(a.ids, 'new');
  assert.notEqual(a.uuid, b.uuid);
});
