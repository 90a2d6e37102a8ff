import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EXIT, UserError } from '../../../src/errors.js';
import { SPEC_MAX_BYTES, USER_DATA_MAX_BYTES } from '../../../src/spec/limits.js';
import { loadSpecFile } from '../../../src/spec/load.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vmmeta-load-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function loadError(file: string): Promise<UserError> {
  try {
    await loadSpecFile(file);
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    return err;
  }
  assert.fail(`${file} loaded`);
}

const MIME = [
  'Content-Type: multipart/mixed; boundary="==BOUNDARY=="',
  'MIME-Version: 1.0',
  '',
  '--==BOUNDARY==',
  'Content-Type: text/cloud-config; charset="us-ascii"',
  '',
  '#cloud-config',
  'timezone: UTC',
  '',
  '--==BOUNDARY==',
  'Content-Type: text/x-shellscript; charset="us-ascii"',
  '',
  '#!/bin/sh',
  'echo hi\r',
  '--==BOUNDARY==--',
  '',
].join('\n');

test('userDataFile bytes pass through exactly: gzip and MIME multipart, relative to the spec folder', async () => {
  await withDir(async (dir) => {
    await mkdir(join(dir, 'specs', 'data'), { recursive: true });
    const gz = gzipSync(Buffer.from('#cloud-config\nruncmd: [[touch, /x]]\n'));
    await writeFile(join(dir, 'specs', 'data', 'ud.gz'), gz);
    await writeFile(join(dir, 'specs', 'data', 'ud.mime'), MIME);
    await writeFile(join(dir, 'specs', 'gz.yaml'), 'name: gz\nuserDataFile: data/ud.gz\n');
    await writeFile(join(dir, 'specs', 'mime.yaml'), 'name: mime\nuserDataFile: data/ud.mime\n');
    const a = await loadSpecFile(join(dir, 'specs', 'gz.yaml'));
    assert.deepEqual(Buffer.from(a.vm.userData!), gz);
    assert.equal(a.vm.userData![0], 0x1f);
    const b = await loadSpecFile(join(dir, 'specs', 'mime.yaml'));
    assert.equal(Buffer.from(b.vm.userData!).toString('utf8'), MIME);
    assert.equal(b.text, 'name: mime\nuserDataFile: data/ud.mime\n');
    assert.equal(b.source, join(dir, 'specs', 'mime.yaml'));
    assert.equal('userDataFile' in b.vm, false);
  });
});

test('the user-data limit is inclusive and names the size and the limit', async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'ok.bin'), new Uint8Array(USER_DATA_MAX_BYTES));
    await writeFile(join(dir, 'big.bin'), new Uint8Array(USER_DATA_MAX_BYTES + 1));
    await writeFile(join(dir, 'ok.yaml'), 'name: a\nuserDataFile: ok.bin\n');
    await writeFile(join(dir, 'big.yaml'), 'name: a\nuserDataFile: big.bin\n');
    assert.equal((await loadSpecFile(join(dir, 'ok.yaml'))).vm.userData!.length, USER_DATA_MAX_BYTES);
    const err = await loadError(join(dir, 'big.yaml'));
    assert.equal(err.exitCode, EXIT.invalid);
    assert.equal(err.message, `${join(dir, 'big.yaml')}: invalid spec (1 problem)`);
    assert.deepEqual(err.details, [
      'userDataFile: big.bin is 49150 bytes; the limit is 49149 bytes (Nova stores at most 65535 base64 characters)',
    ]);
  });
});

test('ids: given ones are kept, missing ones generated fresh', async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 's.yaml'), 'name: a\n');
    const ids = { uuid: '0d6f1c2a-5f3e-4b8e-9a51-3bd1a0c40f10', randomSeed: 'c2VlZA==' };
    const kept = await loadSpecFile(join(dir, 's.yaml'), { ids });
    assert.equal(kept.vm.uuid, ids.uuid);
    assert.equal(kept.vm.randomSeed, ids.randomSeed);
    const fresh1 = await loadSpecFile(join(dir, 's.yaml'));
    const fresh2 = await loadSpecFile(join(dir, 's.yaml'));
    assert.match(fresh1.vm.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(fresh1.vm.uuid, fresh2.vm.uuid);
    assert.equal(Buffer.from(fresh1.vm.randomSeed, 'base64').length, 512);
    assert.equal(fresh1.vm.instanceId, fresh1.vm.uuid);
  });
});

test('unreadable inputs are user errors with exit code 2', async () => {
  await withDir(async (dir) => {
    const missing = await loadError(join(dir, 'nope.yaml'));
    assert.equal(missing.exitCode, EXIT.invalid);
    assert.equal(missing.message, `cannot read spec ${join(dir, 'nope.yaml')}: no such file`);
    assert.equal((await loadError(dir)).message, `cannot read spec ${dir}: is a directory`);

    await writeFile(join(dir, 'latin1.yaml'), Uint8Array.from([...Buffer.from('name: caf'), 0xe9, 0x0a]));
    assert.deepEqual((await loadError(join(dir, 'latin1.yaml'))).details, ['not UTF-8 text']);

    await writeFile(join(dir, 'huge.yaml'), `name: a\n#${'x'.repeat(SPEC_MAX_BYTES)}\n`);
    assert.deepEqual((await loadError(join(dir, 'huge.yaml'))).details, [
      `the file is ${SPEC_MAX_BYTES + 10} bytes; a spec is at most ${SPEC_MAX_BYTES}`,
    ]);

    await mkdir(join(dir, 'ud-dir'));
    await writeFile(join(dir, 'dir.yaml'), 'name: a\nuserDataFile: ud-dir\n');
    assert.deepEqual((await loadError(join(dir, 'dir.yaml'))).details, [
      'userDataFile: ud-dir is a directory; userDataFile must be a regular file',
    ]);

    // An absolute path is refused before anything is opened (the spec's author must not read the applier's files).
    await writeFile(join(dir, 'abs.yaml'), `name: a\nuserDataFile: ${join(dir, 'absent')}\n`);
    assert.deepEqual((await loadError(join(dir, 'abs.yaml'))).details, [
      `userDataFile: ${join(dir, 'absent')} is an absolute path; userDataFile is read relative to the spec's folder and stays inside it (pass --allow-user-data-outside to read files outside the spec's folder)`,
    ]);
    assert.deepEqual((await loadError('/dev/zero')).details, [
      `the file is more than ${SPEC_MAX_BYTES} bytes; a spec is at most ${SPEC_MAX_BYTES}`,
    ]);
  });
});

test('userDataFile stays in the spec folder: absolute, .., a symlink out are refused; FIFOs and devices never block', async () => {
  await withDir(async (dir) => {
    const specs = join(dir, 'specs');
    await mkdir(join(specs, 'sub'), { recursive: true });
    await writeFile(join(dir, 'secret'), 'root:*:20228:0:99999:7:::\n');
    await writeFile(join(specs, 'sub', 'ud'), '#cloud-config\n');
    const spec = async (name: string, body: string) => {
      await writeFile(join(specs, `${name}.yaml`), `name: a\n${body}\n`);
      return join(specs, `${name}.yaml`);
    };
    const issue = async (file: string) => (await loadError(file)).details;
    const OUT = "(pass --allow-user-data-outside to read files outside the spec's folder)";

    assert.deepEqual(await issue(await spec('shadow', 'userDataFile: /etc/shadow')), [
      `userDataFile: /etc/shadow is an absolute path; userDataFile is read relative to the spec's folder and stays inside it ${OUT}`,
    ]);
    assert.deepEqual(await issue(await spec('dotdot', 'userDataFile: ../secret')), [
      `userDataFile: ../secret leaves the spec's folder ${OUT}`,
    ]);
    assert.deepEqual(await issue(await spec('dotdot2', 'userDataFile: sub/../../secret')), [
      `userDataFile: sub/../../secret leaves the spec's folder ${OUT}`,
    ]);
    // `..` that stays inside is fine.
    assert.equal(
      Buffer.from((await loadSpecFile(await spec('inside', 'userDataFile: sub/../sub/ud'))).vm.userData!).toString(),
      '#cloud-config\n',
    );

    await symlink(join(dir, 'secret'), join(specs, 'link'));
    assert.deepEqual(await issue(await spec('link', 'userDataFile: link')), [
      `userDataFile: link is a symbolic link to ${join(dir, 'secret')}, outside the spec's folder ${OUT}`,
    ]);
    await symlink(join(dir), join(specs, 'dirlink'));
    assert.match(
      (await issue(await spec('dirlink', 'userDataFile: dirlink/secret')))[0]!,
      /^userDataFile: dirlink\/secret is a symbolic link to .*\/secret, outside the spec's folder/,
    );
    // A link that stays inside the folder is followed.
    await symlink('sub/ud', join(specs, 'inlink'));
    assert.equal((await loadSpecFile(await spec('inlink', 'userDataFile: inlink'))).vm.userData!.length, 14);

    // A FIFO with no writer would block a plain open forever; it is refused at once.
    assert.equal(spawnSync('mkfifo', [join(specs, 'fifo')]).status, 0);
    const t0 = Date.now();
    assert.deepEqual(await issue(await spec('fifo', 'userDataFile: fifo')), [
      'userDataFile: fifo is a FIFO; userDataFile must be a regular file',
    ]);
    assert.ok(Date.now() - t0 < 2000);

    // Devices: refused even with the opt-in (a device is never user-data).
    const zero = await spec('zero', 'userDataFile: /dev/zero');
    assert.match((await issue(zero))[0]!, /\/dev\/zero is an absolute path/);
    const optErr = await loadSpecFile(zero, { userDataOutside: true }).then(
      () => undefined,
      (e: UserError) => e,
    );
    assert.deepEqual(optErr?.details, [
      'userDataFile: /dev/zero is a character device; userDataFile must be a regular file',
    ]);

    // The explicit opt-in: absolute paths, `..` and links out are read.
    for (const name of ['dotdot', 'link', 'dirlink']) {
      const vm = (await loadSpecFile(join(specs, `${name}.yaml`), { userDataOutside: true })).vm;
      assert.equal(Buffer.from(vm.userData!).toString(), 'root:*:20228:0:99999:7:::\n', name);
    }
    assert.ok((await loadSpecFile(join(specs, 'shadow.yaml'), { userDataOutside: true })).vm.userData!.length > 0);
  });
});
