import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { normalizeSpec } from '../../../src/spec/normalize.js';
import { SpecSchema, type SpecInput } from '../../../src/spec/schema.js';
import { checkRules } from '../../../src/spec/rules.js';
import { HOTPLUG_GENERATIONS, HOTPLUG_VENDOR_DATA, hotplugSummary } from '../../../src/spec/hotplug.js';
import { renderHttpTree } from '../../../src/render/http.js';

const ids = { uuid: '0d6f1c2a-5f3e-4b8e-9a51-3bd1a0c40f10', randomSeed: 'c2VlZA==' };
const resolve = (input: SpecInput) => normalizeSpec(SpecSchema.parse(input), { ids });

test('20.4 does not act on a hot-plug (no OpenStack HOTPLUG event before 21.3, no install module before 21.4); 22.4, 25.1 and 26.2 do', () => {
  assert.deepEqual(Object.fromEntries(Object.entries(HOTPLUG_GENERATIONS).map(([g, v]) => [g, v.acts])), {
    '20.4': false,
    '22.4': true,
    '25.1': true,
    '26.2': true,
  });
  const old = hotplugSummary(resolve({ name: 'a', guest: { cloudInit: '20.4' }, hotplug: { network: true } }), 4);
  assert.equal(old.acts, false);
  assert.match(old.note, /20\.4 has no network hotplug/);
});

test('hotplug.network writes the updates cloud-config as vendor data, served in vendor_data.json; absent changes nothing', () => {
  const vm = resolve({ name: 'a', hotplug: { network: true } });
  assert.deepEqual(vm.vendorData, { 'cloud-init': HOTPLUG_VENDOR_DATA });
  assert.match(
    HOTPLUG_VENDOR_DATA,
    /^#cloud-config\nupdates:\n {2}network:\n {4}when: \[boot-new-instance, hotplug\]\n$/,
  );
  const body = Buffer.from(renderHttpTree(vm).get('/openstack/latest/vendor_data.json')!).toString();
  assert.equal(JSON.parse(body)['cloud-init'], HOTPLUG_VENDOR_DATA);
  const plain = resolve({ name: 'a' });
  assert.equal(plain.vendorData, undefined);
  assert.equal('hotplug' in plain, false, 'no hotplug section: the resolved VM (and its spec hash) is as before');
  assert.equal(hotplugSummary(plain, 4).acts, false);
});

test('rules: hotplug.network with its own vendorData cloud-init entry, and root ports on pc, are refused by field', () => {
  const issues = checkRules(
    SpecSchema.parse({
      name: 'a',
      vendorData: { 'cloud-init': '#cloud-config\n' },
      hotplug: { network: true, rootPorts: 2 },
    }),
  );
  assert.deepEqual(
    issues.map((i) => i.path),
    ['hotplug.network', 'hotplug.rootPorts'],
  );
  assert.deepEqual(checkRules(SpecSchema.parse({ name: 'a', hotplug: { machine: 'q35', rootPorts: 2 } })), []);
  assert.equal(SpecSchema.safeParse({ name: 'a', hotplug: { machine: 'q35', rootPorts: 17 } }).success, false);
});

test('q35 gets the default 4 spare root ports unless told otherwise; pc none', () => {
  assert.equal(hotplugSummary(resolve({ name: 'a', hotplug: { machine: 'q35' } }), 4).rootPorts, 4);
  assert.equal(hotplugSummary(resolve({ name: 'a', hotplug: { machine: 'q35', rootPorts: 0 } }), 4).rootPorts, 0);
  assert.equal(hotplugSummary(resolve({ name: 'a', hotplug: { network: true } }), 4).rootPorts, 0);
});
