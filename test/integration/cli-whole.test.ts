// Issue 20, state items: every operator path keeps the VM whole. A failed update rolls back, an edited
// domain.xml is kept, a folder without state.json is not hidden (and its old sidecar leaves the next VM's socket
// alone), damaged state has a recovery that works, derived files are checked and rebuilt, a uuid belongs to one
// VM, an unchanged update leaves a stopped sidecar stopped, and create from another spec file needs --force.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { vmmeta, json, tempRoot, cleanupRoot, httpGet, isAlive } from '../helpers/cli.js';

const root = tempRoot();
const specDir = tempRoot('vmspec-');
after(async () => {
  await cleanupRoot(root);
  await cleanupRoot(specDir);
});

type Created = {
  action: string;
  sidecarAction: string;
  uuid: string;
  repaired: string[];
  kept: Array<{ file: string; copy: string }>;
  sidecar: { pid: number; listen: Array<{ url?: string }> } | null;
};
type Inspected = {
  uuid: string;
  sidecar: { state: string; answering: boolean; pid: number | null; listen?: Array<{ url?: string }> };
  damaged: Array<{ file: string; problem: string }>;
  warnings: Array<{ code: string; message: string }>;
};

function spec(name: string, body: string, file = `${name}.yaml`): string {
  const path = join(specDir, file);
  writeFileSync(path, `name: ${name}\n${body}`);
  return path;
}
async function ok<T = Created>(args: string[]): Promise<T> {
  const r = await vmmeta([...args, '--json'], { root });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return json<T>(r);
}
const inspect = (vm: string) => ok<Inspected>(['inspect', vm]);

test('a failed update rolls back: old documents, old sidecar serving, and the message says so', async () => {
  const f = spec('rb', 'hostname: rb-one\n');
  await ok(['create', f]);
  const busy: Server = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as { port: number }).port;
  try {
    spec('rb', `hostname: rb-renamed\nsidecar:\n  listen: [unix, "127.0.0.1:${port}"]\n`);
    const r = await vmmeta(['update', 'rb', f], { root });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^vmmeta: update of rb failed: the sidecar of rb exited during start-up/);
    assert.match(
      r.stderr,
      /nothing changed: rb keeps its previous documents and settings, and its sidecar was restarted on them \(pid \d+\)/,
    );
  } finally {
    busy.close();
  }
  const i = await inspect('rb');
  assert.equal(i.sidecar.state, 'running');
  assert.equal(i.sidecar.answering, true);
  assert.deepEqual(i.damaged, []);
  assert.match(readFileSync(join(root, 'rb', 'meta', 'nocloud', 'meta-data'), 'utf8'), /"local-hostname": "rb-one"/);
  const md = await httpGet({ socketPath: join(root, 'rb', 'sidecar.sock'), path: '/openstack/latest/meta_data.json' }); // the default listener
  assert.equal(JSON.parse(md.body).hostname, 'rb-one');
  assert.doesNotMatch(readFileSync(join(root, 'rb', 'spec.yaml'), 'utf8'), /rb-renamed/);
});

test("an edited domain.xml is kept; vmmeta's new copy goes next to it and the output says where", async () => {
  const f = spec('dx', 'hostname: dx-one\n');
  await ok(['create', f, '--no-start']);
  const xml = join(root, 'dx', 'domain.xml');
  const edited = readFileSync(xml, 'utf8').replace(/<memory[^<]*<\/memory>/, '<memory unit="GiB">8</memory>');
  writeFileSync(xml, edited);
  spec('dx', 'hostname: dx-two\n');
  const r = await vmmeta(['update', 'dx', f], { root });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /domain\.xml was edited: kept as it is; vmmeta's new copy is .*domain\.vmmeta\.xml/);
  assert.equal(readFileSync(xml, 'utf8'), edited);
  assert.match(readFileSync(join(root, 'dx', 'domain.vmmeta.xml'), 'utf8'), /<domain/);
  // Unedited, it is vmmeta's to rewrite, and the copy goes away.
  rmSync(xml);
  spec('dx', 'hostname: dx-three\n');
  const again = await ok(['update', 'dx', f]);
  assert.deepEqual(again.kept, []);
  assert.ok(existsSync(xml) && !existsSync(join(root, 'dx', 'domain.vmmeta.xml')));
});

test('a folder without state.json is listed, inspect names it, stop and delete handle it', async () => {
  const f = spec('orph', '');
  const c = await ok(['create', f]);
  rmSync(join(root, 'orph', 'state.json'));
  const l = await ok<{ vms: Array<{ name: string; error?: string; sidecar: { state: string } }> }>(['list']);
  assert.deepEqual(
    l.vms.find((v) => v.name === 'orph'),
    {
      name: 'orph',
      uuid: null,
      nocloud: null,
      datasource: null,
      sidecar: { state: 'running', answering: false, pid: c.sidecar!.pid },
      error: 'no state.json (state lost)',
    },
  );
  const i = await vmmeta(['inspect', 'orph'], { root });
  assert.equal(i.code, 1);
  assert.match(i.stderr, /orph exists but has no state\.json/);
  const cr = await vmmeta(['create', f], { root });
  assert.equal(cr.code, 1);
  assert.doesNotMatch(cr.stderr, /mv /);
  const s = await vmmeta(['stop', 'orph'], { root });
  assert.equal(s.code, 0, s.stderr);
  assert.ok(!isAlive(c.sidecar!.pid));
  const d = await vmmeta(['delete', 'orph'], { root });
  assert.equal(d.code, 0, d.stderr);
  assert.ok(!existsSync(join(root, 'orph')));
});

test('create --force rebuilds a folder without state.json, keeping the uuid its sidecar served', async () => {
  const f = spec('orph2', '');
  const c = await ok(['create', f]);
  rmSync(join(root, 'orph2', 'state.json'));
  const r = await ok(['create', f, '--force']);
  assert.equal(r.uuid, c.uuid);
  assert.ok(r.repaired.includes('state.json'));
  assert.equal((await inspect('orph2')).sidecar.answering, true);
});

test("stopping a sidecar whose folder was moved aside leaves the new VM's socket alone", async () => {
  const f = spec('mv1', '');
  const old = await ok(['create', f]);
  renameSync(join(root, 'mv1'), join(root, 'mv1.orig'));
  const fresh = await ok(['create', f]);
  process.kill(old.sidecar!.pid, 'SIGTERM');
  for (let t = 0; t < 100 && isAlive(old.sidecar!.pid); t++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!isAlive(old.sidecar!.pid));
  assert.ok(existsSync(join(root, 'mv1', 'sidecar.sock')));
  const i = await inspect('mv1');
  assert.equal(i.sidecar.pid, fresh.sidecar!.pid);
  assert.equal(i.sidecar.answering, true, JSON.stringify(i.sidecar));
  rmSync(join(root, 'mv1.orig'), { recursive: true, force: true });
});

test('damaged state.json: the hint names the original spec, and following it works (relative userDataFile)', async () => {
  writeFileSync(join(specDir, 'ud'), '#cloud-config\ntimezone: UTC\n');
  const f = spec('dmg', 'userDataFile: ud\n');
  const c = await ok(['create', f]);
  writeFileSync(
    join(root, 'dmg', 'state.json'),
    readFileSync(join(root, 'dmg', 'state.json'), 'utf8')
      .replace('"version": 1', '"version": 7')
      .replace('"version":1', '"version":7'),
  );
  const i = await vmmeta(['inspect', 'dmg'], { root });
  assert.equal(i.code, 1);
  const hint = /hint: .*(vmmeta create --force \S+)/.exec(i.stderr)?.[1];
  assert.equal(hint, `vmmeta create --force ${f}`, i.stderr);
  const r = await ok(['create', '--force', f]);
  assert.equal(r.uuid, c.uuid, 'the uuid is kept');
  // Entirely unreadable: the uuid comes from served.json.
  writeFileSync(join(root, 'dmg', 'state.json'), '{');
  assert.match(
    (await vmmeta(['inspect', 'dmg'], { root })).stderr,
    /hint: rebuild it from its spec \(the uuid is kept\): vmmeta create --force </,
  );
  assert.equal((await ok(['create', '--force', f])).uuid, c.uuid);
  assert.deepEqual((await inspect('dmg')).damaged, []);
});

test('missing or corrupt derived files: inspect names them; create and update rebuild them', async () => {
  const f = spec('drv', '');
  await ok(['create', f]);
  rmSync(join(root, 'drv', 'cidata.iso'));
  writeFileSync(join(root, 'drv', 'served.json'), '{"half');
  const i = await inspect('drv');
  assert.deepEqual(i.damaged.map((d) => [d.file, d.problem]).sort(), [
    ['cidata.iso', 'missing'],
    ['served.json', 'differs'],
  ]);
  assert.ok(i.warnings.some((w) => w.code === 'derived-damaged'));
  const r = await ok(['create', f]);
  assert.equal(r.action, 'updated');
  assert.deepEqual(r.repaired.sort(), ['cidata.iso', 'served.json']);
  assert.deepEqual((await inspect('drv')).damaged, []);
  writeFileSync(join(root, 'drv', 'cidata.iso'), 'not an iso');
  const u = await ok(['update', 'drv', f]);
  assert.deepEqual(u.repaired, ['cidata.iso']);
  assert.equal((await ok(['update', 'drv', f])).action, 'unchanged');
});

test('a uuid belongs to one VM: create refuses a duplicate, naming the other VM', async () => {
  const first = await ok(['create', spec('uu1', ''), '--no-start']);
  const r = await vmmeta(['create', spec('uu2', `uuid: ${first.uuid}\n`), '--no-start'], { root });
  assert.equal(r.code, 4);
  assert.match(r.stderr, new RegExp(`uuid ${first.uuid} already belongs to VM uu1`));
  assert.ok(!existsSync(join(root, 'uu2')));
});

test('an unchanged update leaves a stopped sidecar stopped (create starts it)', async () => {
  const f = spec('st', '');
  await ok(['create', f]);
  await ok(['stop', 'st']);
  const u = await ok(['update', 'st', f]);
  assert.deepEqual([u.action, u.sidecarAction, u.sidecar], ['unchanged', 'not started', null]);
  assert.equal((await inspect('st')).sidecar.state, 'stopped');
  assert.equal((await ok(['create', f])).sidecarAction, 'started');
});

test('create of an existing VM from another spec file needs update or --force', async () => {
  const f = spec('two', 'hostname: two-a\n');
  await ok(['create', f, '--no-start']);
  const other = spec('two', 'hostname: two-b\nsshKeys: []\n', 'other.yaml');
  const r = await vmmeta(['create', other], { root });
  assert.equal(r.code, 4);
  assert.match(r.stderr, /two already exists, created from .*two\.yaml, not .*other\.yaml/);
  assert.match(readFileSync(join(root, 'two', 'spec.yaml'), 'utf8'), /two-a/);
  assert.equal((await ok(['update', 'two', other])).action, 'updated');
  assert.equal((await ok(['create', f, '--force'])).action, 'updated');
});
