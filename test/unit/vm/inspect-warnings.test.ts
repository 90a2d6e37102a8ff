// The warnings inspect gives, from plain data (no files, no processes).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { inspectWarnings } from '../../../src/vm/inspect-warnings.js';
import type { VmView } from '../../../src/vm/vm-view.js';
import type { LogEntry } from '../../../src/vm/access-log.js';
import { parseLines } from '../../../src/vm/access-log.js';
import { applyOverrides, mergeOverrides } from '../../../src/vm/overrides.js';
import type { ResolvedVm } from '../../../src/spec/schema.js';

function view(
  over: {
    cdrom?: boolean;
    listen?: string[];
    guestfwd?: string | null;
    arch?: string;
    userData?: number;
    sidecar?: VmView['sidecar']['state'];
    answering?: boolean;
    product?: string;
    listenFrom?: 'flag' | 'spec' | 'default';
  } = {},
): VmView {
  const vm = {
    name: 'vm1',
    uuid: 'u',
    guest: { arch: over.arch ?? 'x86_64', cloudInit: '22.4' },
    userData: over.userData ? new Uint8Array(over.userData) : undefined,
  } as unknown as ResolvedVm;
  const state = over.sidecar ?? 'running';
  return {
    vm,
    state: {
      name: 'vm1',
      outputs: {
        nocloud: over.cdrom ? 'cd' : 'none',
        cdrom: over.cdrom ? { path: '/r/vm1/cidata.iso', bus: 'ide' } : null,
        configDrive: null,
        listen: over.listen ?? ['unix', '127.0.0.1:0'],
        guestfwd: over.guestfwd === undefined ? 'user,guestfwd=…' : over.guestfwd,
        seedUrl: null,
      },
      settings: { listen: { value: over.listen ?? ['unix', '127.0.0.1:0'], source: over.listenFrom ?? 'default' } },
    } as unknown as VmView['state'],
    smbios: { type1: { uuid: 'u', product: over.product ?? 'OpenStack Nova' }, type3: {} },
    sidecar: { state, ...(state === 'stopped' ? {} : { pid: 42 }) },
    probes: over.answering === false ? [{ address: '127.0.0.1:1', ok: false, ms: 1, error: 'ECONNREFUSED' }] : [],
    answering: over.answering ?? state === 'running',
    verdict: {
      dsIdentify: {} as never,
      winner: over.cdrom ? 'NoCloud' : 'OpenStackLocal',
      reasons: [],
      warnings: [],
    } as unknown as VmView['verdict'],
  };
}
const call: LogEntry = {
  time: 't',
  method: 'GET',
  path: '/openstack',
  status: 200,
  bytes: 10,
  ms: 1,
  listener: 'unix:/s/sidecar.sock',
  peer: 'unix',
  token: false,
  probe: false,
  raw: '',
};
const codes = (v: VmView, calls: LogEntry[] = [call], leftovers: string[] = []) =>
  inspectWarnings(v, calls, leftovers).map((w) => w.code);

test('a healthy VM that the guest called has no warnings', () => {
  assert.deepEqual(codes(view()), []);
});

test('each usual mistake gives its own warning', () => {
  assert.deepEqual(
    codes(view({ cdrom: true, listenFrom: 'spec' })),
    ['nocloud-cd-with-openstack'],
    'listen addresses set up for a service the guest never asks',
  );
  assert.deepEqual(codes(view({ cdrom: true, listenFrom: 'flag' })), ['nocloud-cd-with-openstack']);
  assert.deepEqual(
    codes(view({ cdrom: true, product: 'Standard PC', listenFrom: 'spec' })),
    [],
    'a plain NoCloud VM with its CD is fine',
  );
  assert.deepEqual(codes(view({ sidecar: 'dead' })), ['sidecar-dead']);
  assert.deepEqual(codes(view({ sidecar: 'stopped' })), ['sidecar-stopped']);
  assert.deepEqual(codes(view({ answering: false })), ['sidecar-not-answering']);
  assert.deepEqual(codes(view({ listen: ['127.0.0.1:0'], guestfwd: null })), ['no-metadata-path']);
  assert.deepEqual(codes(view({ listen: ['169.254.169.254:80'], guestfwd: null })), [], 'a bridged listener is a path');
  assert.deepEqual(codes(view({ arch: 'aarch64' })), ['non-x86-guest']);
  assert.deepEqual(codes(view({ userData: 16384 })), []);
  assert.deepEqual(codes(view({ userData: 16385 })), ['ec2-user-data-too-big']);
  assert.deepEqual(codes(view(), []), ['guest-never-called']);
  assert.deepEqual(
    codes(view({ sidecar: 'stopped' }), []),
    ['sidecar-stopped'],
    'a stopped sidecar cannot have been called: one warning is enough',
  );
  assert.deepEqual(codes(view(), [call], ['vm1.tmp-9']), ['leftover']);
});

test('the documented default (CD attached, OpenStack SMBIOS, default listen) raises no warning, called or not', () => {
  assert.deepEqual(codes(view({ cdrom: true })), []);
  assert.deepEqual(codes(view({ cdrom: true }), []), [], 'a guest that reads its CD has no reason to call the sidecar');
});

test('the dead-sidecar warning names the pid and how to start it again', () => {
  const w = inspectWarnings(view({ sidecar: 'dead' }), [call], [])[0]!;
  assert.match(w.message, /pid 42/);
  assert.match(w.hint!, /^vmmeta start vm1/);
});

test('access log: vmmeta probes are told apart, broken lines skipped', () => {
  const lines = parseLines(
    [
      '{"time":"a","method":"GET","path":"/openstack?vmmeta=probe","status":200,"bytes":1,"ms":1,"client":"unix","token":false}',
      '{"time":"b","method":"GET","path":"/openstack?x=vmmeta=probe","status":200,"bytes":1,"ms":1,"client":"unix","token":false}',
      '{"half',
      '',
    ].join('\n'),
  );
  assert.deepEqual(
    lines.map((l) => l.probe),
    [true, false],
  );
});

test("command-line overrides: --suppress-nocloud drops only a CD, --listen replaces the spec's addresses", () => {
  const vm = {
    datasource: { nocloud: 'cd', configDrive: false },
    sidecar: { listen: ['unix'] },
  } as unknown as ResolvedVm;
  const o = applyOverrides(
    vm,
    mergeOverrides({}, { suppressNocloud: true, configDrive: true, listen: ['127.0.0.1:0'] }, vm),
  );
  assert.deepEqual([o.datasource, o.sidecar], [{ nocloud: 'none', configDrive: true }, { listen: ['127.0.0.1:0'] }]);
  const netVm = { ...vm, datasource: { nocloud: 'net', configDrive: false } } as ResolvedVm;
  const net = applyOverrides(netVm, mergeOverrides({}, { suppressNocloud: true }, netVm));
  assert.equal(net.datasource.nocloud, 'net');
  assert.equal(vm.datasource.nocloud, 'cd', 'the input is not modified');
});
