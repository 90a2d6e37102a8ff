// Specs at the edges of what is valid (test/fixtures/specs/good/): each must load, so the rules never refuse a
// legitimate setup (/31 links, secondary addresses, bonds sharing a member's MAC, exactly-at-limit values).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { loadSpecFile } from '../../../src/spec/load.js';
import { fromRepo } from './repo.js';

const dir = fromRepo('test', 'fixtures', 'specs', 'good');
const ids = { uuid: '3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10', randomSeed: 'c2VlZA==' };
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

test('the good corpus has at least 10 specs', () => assert.ok(files.length >= 10, `${files.length}`));

for (const file of files) {
  test(`good spec ${file}`, async () => {
    const { vm } = await loadSpecFile(`${dir}/${file}`, { ids });
    assert.equal(typeof vm.uuid, 'string');
  });
}

test('values are normalised the documented way', async () => {
  const macs = await loadSpecFile(`${dir}/upper-case-mac-with-dashes.yaml`, { ids });
  assert.equal(macs.vm.network.links[0]!.mac, '52:54:00:ab:cd:ef');
  const full = await loadSpecFile(`${dir}/everything-set.yaml`, { ids });
  assert.equal(full.vm.uuid, '3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10');
  assert.equal(full.vm.instanceId, 'i-0123456789abcdef0');
  assert.equal(full.vm.randomSeed, 'c2VlZA==');
  assert.equal(new TextDecoder().decode(full.vm.userData), '#!/bin/sh\necho hi\n');
  const gz = await loadSpecFile(`${dir}/gzip-user-data-base64.yaml`, { ids });
  assert.equal(gz.vm.userData![0], 0x1f, 'gzip magic kept');
  assert.equal(gunzipSync(gz.vm.userData!).toString('utf8'), '#cloud-config\ntimezone: UTC\n');
  const anchors = await loadSpecFile(`${dir}/yaml-anchors.yaml`, { ids });
  assert.deepEqual(anchors.vm.network.dns.servers, ['192.0.2.53', '192.0.2.54']);
});
