// Issue 18: what `create` was told stays with the VM. Each settings flag is recorded; `update` (and a re-run of
// `create`) without it keeps it, the opposite flag changes it and the output names what the next boot sees.
// Then the README walkthrough, run as written with the real CLI (the QEMU boot of step 4 skipped).
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vmmeta, json, tempRoot, cleanupRoot, EXAMPLES, httpGet } from '../helpers/cli.js';

const root = tempRoot();
const specDir = tempRoot('vmspec-');
after(async () => {
  await cleanupRoot(root);
  await cleanupRoot(specDir);
});

type Change = { setting: string; from: unknown; to: unknown; message: string };
type Result = {
  action: string;
  sidecarAction: string;
  cdrom: unknown;
  configDrive: string | null;
  changes: Change[];
  settings: Record<string, { value: unknown; source: string }>;
  sidecar: { listen: Array<{ address: string }> } | null;
};

function spec(name: string, extra = ''): string {
  const file = join(specDir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nhostname: ${name}-a\n${extra}`);
  return file;
}
async function ok(args: string[]): Promise<Result> {
  const r = await vmmeta([...args, '--json'], { root });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return json<Result>(r);
}
const edit = (file: string, host: string) =>
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^hostname: .*$/m, `hostname: ${host}`));

test('--suppress-nocloud: kept by update and re-create without it; --nocloud cd brings the CD back and says so', async () => {
  const f = spec('ov-cd');
  const c = await ok(['create', f, '--suppress-nocloud']);
  assert.equal(c.cdrom, null);
  assert.deepEqual(c.settings.nocloud, { value: 'none', source: 'flag' });
  edit(f, 'ov-cd-b');
  const u = await ok(['update', 'ov-cd', f]);
  assert.equal(u.action, 'updated');
  assert.equal(u.cdrom, null, 'update without the flag keeps the CD out');
  assert.deepEqual(u.changes, []);
  assert.ok(!existsSync(join(root, 'ov-cd', 'cidata.iso')));
  assert.doesNotMatch(readFileSync(join(root, 'ov-cd', 'qemu-args.txt'), 'utf8'), /cidata/);
  edit(f, 'ov-cd-c');
  assert.equal((await ok(['create', f])).cdrom, null, 're-running create keeps it too');
  const back = await vmmeta(['update', 'ov-cd', f, '--nocloud', 'cd'], { root });
  assert.equal(back.code, 0, back.stderr);
  assert.match(back.stdout, /Next boot\n\s+! NoCloud CD attached/);
  assert.match(back.stdout, /datasource: OpenStackLocal → NoCloud/);
  const j = json<{ cdrom: { attached: boolean }; settings: Result['settings'] }>(
    await vmmeta(['inspect', 'ov-cd', '--json'], { root }),
  );
  assert.equal(j.cdrom.attached, true);
  assert.deepEqual(j.settings.nocloud, { value: 'cd', source: 'flag' });
  const off = await ok(['update', 'ov-cd', f, '--suppress-nocloud']);
  assert.deepEqual(
    off.changes.map((x) => x.setting),
    ['cdrom', 'nocloud', 'datasource'],
  );
  assert.deepEqual(off.changes[0], {
    setting: 'cdrom',
    from: join(root, 'ov-cd', 'cidata.iso'),
    to: null,
    message: off.changes[0]!.message,
  });
  const spec2 = await ok(['update', 'ov-cd', f, '--from-spec', 'nocloud']);
  assert.deepEqual(spec2.settings.nocloud, { value: 'cd', source: 'default' });
  assert.ok(spec2.changes.some((x) => x.setting === 'cdrom' && x.to !== null));
});

test('--config-drive: kept by update without it; --no-config-drive removes it and says so', async () => {
  const f = spec('ov-cfg');
  assert.notEqual((await ok(['create', f, '--config-drive', '--no-start'])).configDrive, null);
  edit(f, 'ov-cfg-b');
  const u = await ok(['update', 'ov-cfg', f]);
  assert.equal(u.configDrive, join(root, 'ov-cfg', 'config-2.iso'));
  assert.ok(existsSync(join(root, 'ov-cfg', 'config-2.iso')));
  const off = await ok(['update', 'ov-cfg', f, '--no-config-drive']);
  assert.equal(off.configDrive, null);
  assert.ok(!existsSync(join(root, 'ov-cfg', 'config-2.iso')));
  assert.deepEqual(off.changes.find((x) => x.setting === 'config-drive')?.to, null);
  assert.deepEqual(off.settings['config-drive'], { value: false, source: 'flag' });
  const ex = await vmmeta(['explain', 'ov-cfg'], { root });
  assert.match(ex.stdout, /config-drive: false \(from a command-line flag; drop it with --from-spec config-drive\)/);
});

test('--listen: kept by update without it (the sidecar stays where it was); --from-spec listen moves it back and says so', async () => {
  const f = spec('ov-lis', 'sidecar:\n  listen: [unix, "127.0.0.1:0"]\n');
  const c = await ok(['create', f, '--listen', 'unix']);
  assert.deepEqual(
    c.sidecar!.listen.map((l) => l.address.split(':')[0]),
    ['unix'],
  );
  edit(f, 'ov-lis-b');
  const u = await ok(['update', 'ov-lis', f]);
  assert.equal(u.sidecarAction, 'reloaded', 'same addresses: no restart');
  assert.deepEqual(u.sidecar!.listen.length, 1);
  assert.deepEqual(u.changes, []);
  const moved = await vmmeta(['update', 'ov-lis', f, '--from-spec', 'listen'], { root });
  assert.equal(moved.code, 0, moved.stderr);
  assert.match(moved.stdout, /sidecar listens on unix, 127\.0\.0\.1:0 \(was unix\)/);
  const j = json<{ settings: Result['settings']; sidecar: { listen: Array<{ url?: string }> } }>(
    await vmmeta(['inspect', 'ov-lis', '--json'], { root }),
  );
  assert.deepEqual(j.settings.listen, { value: ['unix', '127.0.0.1:0'], source: 'spec' });
  const url = j.sidecar.listen.find((l) => l.url)!.url!;
  assert.equal((await httpGet(`${url}openstack/latest/meta_data.json`)).status, 200);
  const back = await ok(['update', 'ov-lis', f, '--listen', 'unix']);
  assert.deepEqual(
    back.changes.map((x) => x.setting),
    ['listen'],
  );
  const human = await vmmeta(['inspect', 'ov-lis'], { root });
  assert.match(human.stdout, /Settings\n(.*\n)*\s+listen:\s+unix \(from a command-line flag/);
  assert.match(human.stdout, /nocloud:\s+cd \(default\)/);
});

test('a bad --from-spec name is a usage error naming the settings', async () => {
  const r = await vmmeta(
    ['update', 'ov-lis', spec('ov-lis', 'sidecar:\n  listen: [unix, "127.0.0.1:0"]\n'), '--from-spec', 'cdrom'],
    { root },
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--from-spec: unknown setting "cdrom"\nhint: one of: nocloud, config-drive, listen, all/);
});

// The README's walkthrough commands, in order, with the minimal example as vm1.yaml.
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
function walkthrough(): string[] {
  const text = readFileSync(README, 'utf8');
  const block = /## Walkthrough\n\n```sh\n([\s\S]*?)```/.exec(text)![1]!;
  return block
    .split('\n')
    .filter((l) => l.startsWith('vmmeta ') || l.startsWith('mapfile') || l.startsWith('qemu-system'));
}

test('the README walkthrough, as written: after step 6 the VM still has no CD, and it is whole', async () => {
  const dir = tempRoot('vmwalk-');
  const wroot = join(dir, 'state');
  try {
    const vm1 = join(dir, 'vm1.yaml');
    writeFileSync(vm1, readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8').replace(/^name: .*$/m, 'name: vm1'));
    const steps = walkthrough();
    assert.ok(steps.length >= 7, steps.join('\n'));
    for (const line of steps) {
      if (!line.startsWith('vmmeta ')) continue; // step 4: booting QEMU is the guest layer's job
      if (line.startsWith('vmmeta update'))
        writeFileSync(vm1, readFileSync(vm1, 'utf8').replace('timezone: UTC', 'timezone: Europe/Paris'));
      const args = line
        .split(/\s+/)
        .slice(1)
        .map((a) => a.replace(/^vm1\.yaml$/, vm1));
      const r = await vmmeta(args, { root: wroot });
      assert.equal(r.code, 0, `${line}\n${r.stderr}`);
      if (line.startsWith('vmmeta update')) {
        assert.match(r.stdout, /NoCloud CD: suppressed/);
        assert.doesNotMatch(r.stdout, /Next boot/);
        // Right after step 6: the VM it leaves is what the issue is about.
        const j = json<{
          cdrom: { attached: boolean };
          datasource: { predicted: string };
          sidecar: { answering: boolean };
          damaged: unknown[];
          warnings: Array<{ code: string }>;
        }>(await vmmeta(['inspect', 'vm1', '--json'], { root: wroot }));
        assert.equal(j.cdrom.attached, false, 'step 6 must not bring the CD back');
        assert.equal(j.datasource.predicted, 'OpenStackLocal');
        assert.equal(j.sidecar.answering, true);
        assert.deepEqual(j.damaged, []);
        assert.deepEqual(
          j.warnings.map((w) => w.code).filter((c) => c !== 'guest-never-called'),
          [],
        );
        assert.doesNotMatch(readFileSync(join(wroot, 'vm1', 'qemu-args.txt'), 'utf8'), /cidata/);
        assert.ok(!existsSync(join(wroot, 'vm1', 'cidata.iso')));
        const ex = await vmmeta(['explain', 'vm1'], { root: wroot });
        assert.match(ex.stdout, /disks:\s+none/);
      }
    }
    assert.ok(!existsSync(join(wroot, 'vm1')));
  } finally {
    await cleanupRoot(wroot);
    await cleanupRoot(dir);
  }
});
