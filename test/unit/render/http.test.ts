import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { renderConfigDrive } from '../../../src/render/configdrive.js';
import { FORMATS, findFormat } from '../../../src/render/formats.js';
import { leavesOnly, renderHttpTree } from '../../../src/render/http.js';
import { renderNoCloud } from '../../../src/render/nocloud.js';
import { renderOpenStackDisk } from '../../../src/render/openstack.js';
import { ec2OnlyVm, minimalVm, threeNicVm } from '../../helpers/vm-fixtures.js';
import { text } from '../../helpers/render-lookup.js';

const VMS = [minimalVm, threeNicVm, ec2OnlyVm];

test('the HTTP tree holds the OpenStack, EC2 and NoCloud listings internals.md names', () => {
  const t = renderHttpTree(threeNicVm());
  for (const p of [
    '/',
    '/openstack/',
    '/openstack/2018-08-27/',
    '/openstack/latest/',
    '/2009-04-04/',
    '/latest/meta-data/',
    '/nocloud/',
  ])
    assert.ok(t.has(p), p);
  assert.ok(!text(t.get('/'))!.split('\n').includes('openstack'), 'the EC2 version list does not name openstack');
  assert.deepEqual([...t.keys()], [...t.keys()].sort(), 'sorted');
});

test('every disk leaf is served over HTTP with the same bytes', () => {
  for (const make of VMS) {
    const vm = make();
    const http = renderHttpTree(vm);
    for (const [path, bytes] of renderOpenStackDisk(vm))
      assert.deepEqual(http.get(`/${path}`), bytes, `${vm.name} ${path}`);
    for (const [path, bytes] of renderNoCloud(vm))
      assert.deepEqual(http.get(`/nocloud/${path}`), bytes, `${vm.name} ${path}`);
    for (const [path, bytes] of leavesOnly(renderHttpTree(vm))) assert.deepEqual(http.get(`/${path}`), bytes);
    // The config drive's OpenStack files equal the service's, except admin_pass which Nova puts only on the drive.
    for (const [path, bytes] of renderConfigDrive(vm)) {
      if (!path.startsWith('openstack/')) continue;
      if (path.endsWith('meta_data.json') && vm.adminPassword !== undefined) {
        const { admin_pass, ...rest } = JSON.parse(text(bytes)!);
        assert.equal(admin_pass, vm.adminPassword);
        assert.deepEqual(rest, JSON.parse(text(http.get(`/${path}`))!));
      } else assert.deepEqual(http.get(`/${path}`), bytes, `${vm.name} ${path}`);
    }
    // The only HTTP OpenStack leaves not on disk are the password endpoints.
    const disk = new Set([...renderOpenStackDisk(vm).keys()].map((p) => `/${p}`));
    const extra = [...http.keys()].filter((p) => p.startsWith('/openstack/') && !p.endsWith('/') && !disk.has(p));
    assert.ok(
      extra.every((p) => p.endsWith('/password')),
      extra.join(', '),
    );
  }
});

test('config drive: every OpenStack version, EC2 JSON for 2009-04-04 and latest, user-data, no listings', () => {
  const cd = renderConfigDrive(threeNicVm());
  const dirs = new Set([...cd.keys()].filter((p) => p.startsWith('openstack/')).map((p) => p.split('/')[1]));
  assert.equal(dirs.size, 11);
  assert.ok(
    cd.has('ec2/2009-04-04/meta-data.json') && cd.has('ec2/latest/meta-data.json') && cd.has('ec2/latest/user-data'),
  );
  assert.equal([...cd.keys()].filter((p) => p.startsWith('ec2/')).length, 4);
  assert.ok([...cd.keys()].every((p) => !p.endsWith('/') && !p.startsWith('/')));
  assert.equal(JSON.parse(text(cd.get('ec2/latest/meta-data.json'))!)['instance-id'], threeNicVm().ec2InstanceId);
  assert.equal(renderConfigDrive(ec2OnlyVm()).has('ec2/latest/user-data'), false);
});

test('FORMATS: one row per format, disk trees with relative paths and no listings', () => {
  assert.deepEqual(
    FORMATS.map((f) => f.name),
    ['openstack', 'ec2', 'nocloud', 'configdrive'],
  );
  assert.equal(findFormat('nope'), undefined);
  for (const f of FORMATS) {
    const tree = f.render(threeNicVm());
    assert.ok(tree.size > 0, f.name);
    assert.ok(f.description.length > 0);
    const paths = [...tree.keys()];
    assert.ok(
      paths.every((p) => !p.startsWith('/') && !p.endsWith('/') && !p.includes('//')),
      f.name,
    );
    // No path is both a file and a folder (it could not be written to disk).
    for (const p of paths) assert.ok(!paths.some((q) => q.startsWith(`${p}/`)), `${f.name}: ${p}`);
  }
  assert.ok(findFormat('ec2')!.render(threeNicVm()).has('2021-03-23/meta-data/instance-id'));
});

test('rendering twice gives identical trees (no clock, no randomness)', () => {
  for (const make of VMS) assert.deepEqual([...renderHttpTree(make())], [...renderHttpTree(make())]);
});
