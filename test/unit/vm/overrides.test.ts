// The settings-flag table (recorded, kept, changed, forgotten; where each value came from) and the next-boot
// change list, as pure functions.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { applyOverrides, mergeOverrides, overrideFlags, settingSources } from '../../../src/vm/overrides.js';
import { bootChanges } from '../../../src/vm/changes.js';
import { UserError } from '../../../src/errors.js';
import type { ResolvedVm } from '../../../src/spec/schema.js';
import type { VmOutputs } from '../../../src/state/store.js';

const vm = {
  datasource: { nocloud: 'cd', configDrive: false },
  sidecar: { listen: ['unix', '127.0.0.1:0'] },
} as unknown as ResolvedVm;

test('recorded flags are kept by a command line without them, changed by the opposite, forgotten by --from-spec', () => {
  const first = mergeOverrides({}, { suppressNocloud: true, configDrive: true, listen: ['unix'] }, vm);
  assert.deepEqual(first, { nocloud: 'none', configDrive: true, listen: ['unix'] });
  assert.deepEqual(mergeOverrides(first, {}, vm), first, 'no flags: everything kept');
  assert.deepEqual(mergeOverrides(first, { nocloud: 'cd', configDrive: false }, vm), {
    nocloud: 'cd',
    configDrive: false,
    listen: ['unix'],
  });
  assert.deepEqual(mergeOverrides(first, { fromSpec: ['listen', 'config-drive'] }, vm), { nocloud: 'none' });
  assert.deepEqual(
    mergeOverrides(first, { fromSpec: ['all'], listen: ['127.0.0.1:0'] }, vm),
    { listen: ['127.0.0.1:0'] },
    'forget, then this command line',
  );
  assert.throws(
    () => mergeOverrides(first, { fromSpec: ['cdrom'] }, vm),
    (e: unknown) => e instanceof UserError && e.exitCode === 2 && /unknown setting "cdrom"/.test(e.message),
  );
  assert.deepEqual(overrideFlags(first), ['--nocloud none', '--config-drive', '--listen unix']);
});

test('--suppress-nocloud only drops a CD: a recorded or spec "net" keeps its seed', () => {
  const net = { ...vm, datasource: { nocloud: 'net', configDrive: false } } as ResolvedVm;
  assert.deepEqual(mergeOverrides({}, { suppressNocloud: true }, net), {});
  assert.deepEqual(mergeOverrides({ nocloud: 'net' }, { suppressNocloud: true }, vm), { nocloud: 'net' });
  assert.equal(applyOverrides(vm, { nocloud: 'none' }).datasource.nocloud, 'none');
  assert.equal(vm.datasource.nocloud, 'cd', 'the input is not modified');
});

test('each setting says where it came from: flag, spec or default', () => {
  const raw = { name: 'x', sidecar: { listen: ['unix', '127.0.0.1:0'] } };
  assert.deepEqual(settingSources(vm, raw, { nocloud: 'none' }), {
    nocloud: { value: 'none', source: 'flag' },
    'config-drive': { value: false, source: 'default' },
    listen: { value: ['unix', '127.0.0.1:0'], source: 'spec' },
  });
});

test('bootChanges names a CD removed, a verdict changed and new listen addresses; nothing when nothing changed', () => {
  const before: VmOutputs = {
    nocloud: 'cd',
    cdrom: { path: '/s/vm1/cidata.iso', bus: 'ide' },
    configDrive: null,
    listen: ['unix', '127.0.0.1:0'],
    guestfwd: 'g',
    seedUrl: null,
  };
  const after: VmOutputs = { ...before, nocloud: 'none', cdrom: null, listen: ['unix'] };
  const c = bootChanges({ outputs: before, predicted: 'NoCloud' }, { outputs: after, predicted: 'OpenStackLocal' });
  assert.deepEqual(
    c.map((x) => [x.setting, x.from, x.to]),
    [
      ['cdrom', '/s/vm1/cidata.iso', null],
      ['nocloud', 'cd', 'none'],
      ['listen', ['unix', '127.0.0.1:0'], ['unix']],
      ['datasource', 'NoCloud', 'OpenStackLocal'],
    ],
  );
  assert.match(c[0]!.message, /NoCloud CD removed/);
  assert.deepEqual(
    bootChanges({ outputs: before, predicted: 'NoCloud' }, { outputs: { ...before }, predicted: 'NoCloud' }),
    [],
  );
});

test("--listen goes through the spec's grammar: the same message, exit 2, allowed by sidecar.allowAllInterfaces", () => {
  const err = (() => {
    try {
      mergeOverrides({}, { listen: ['unix', '0.0.0.0:8080'] }, vm);
    } catch (e) {
      return e as UserError;
    }
    return undefined;
  })();
  assert.ok(err instanceof UserError);
  assert.equal(err.exitCode, 2);
  assert.equal(
    err.message,
    '--listen "0.0.0.0:8080": refusing every interface (one VM\'s metadata would be open to every network the host is on); set sidecar.allowAllInterfaces: true in the spec (vmmeta serve: --allow-all-interfaces) if that is really meant',
  );
  assert.throws(
    () => mergeOverrides({}, { listen: ['[fe80::1%no/slash]:80'] }, vm),
    /--listen "\[fe80::1%no\/slash\]:80": bad IPv6 zone/,
  );
  assert.deepEqual(mergeOverrides({}, { listen: ['[fe80::a9fe:a9fe%br0]:80'] }, vm), {
    listen: ['[fe80::a9fe:a9fe%br0]:80'],
  });
  const open = { ...vm, sidecar: { ...vm.sidecar, allowAllInterfaces: true } };
  assert.deepEqual(mergeOverrides({}, { listen: ['0.0.0.0:8080'] }, open), { listen: ['0.0.0.0:8080'] });
});
