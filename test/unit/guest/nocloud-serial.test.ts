import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { classifySerialSeed } from '../../../src/guest/nocloud-serial.js';
import { GENERATIONS } from '../../../src/guest/ds-identify-model.js';

const URL = 's=http://169.254.169.254/nocloud/';

test('an http seed: nocloud-net is read everywhere and deprecated from 24.1, nocloud is local mode before 24.1', () => {
  const table = Object.fromEntries(
    GENERATIONS.map((g) => [
      g,
      [classifySerialSeed(`ds=nocloud-net;${URL}`, g), classifySerialSeed(`ds=nocloud;${URL}`, g)],
    ]),
  );
  assert.deepEqual(table, {
    '20.4': ['ok', 'local-mode'],
    '22.4': ['ok', 'local-mode'],
    '25.1': ['deprecated', 'ok'],
    '26.2': ['deprecated', 'ok'],
  });
});

test('seedfrom=, https, other keys before the seed and surrounding blanks are the same seed', () => {
  assert.equal(classifySerialSeed('ds=nocloud;seedfrom=https://192.0.2.9/seed/', '26.2'), 'ok');
  assert.equal(classifySerialSeed(`ds=nocloud-net;h=vm1;${URL}`, '22.4'), 'ok');
  assert.equal(classifySerialSeed(`  ds=nocloud;${URL}\n`, '20.4'), 'local-mode');
});

test('a serial that seeds nothing over http is no seed', () => {
  for (const serial of ['', 'u', 'ds=nocloud;s=file:///seed/', 'ds=nocloud', `x ds=nocloud;${URL}`, `ds=ec2;${URL}`])
    assert.equal(classifySerialSeed(serial, '26.2'), null, serial);
});
