import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  qemuArgs,
  argsFileText,
  argsJson,
  argsShell,
  uuidMac,
  metadataNicArgs,
  shellQuote,
  DEFAULT_CDROM_BUS,
  CDROM_BUSES,
} from '../../../src/hypervisor/qemu-args.js';
import { guestfwdConnector } from '../../../src/hypervisor/connector.js';
import { resolveSmbios } from '../../../src/hypervisor/smbios.js';
import { UserError } from '../../../src/errors.js';
import { makeVm, UUID } from './fixtures.js';

const smbios = resolveSmbios(makeVm());

test('argv order: machine, uuid, SMBIOS, CD, metadata NIC', () => {
  const argv = qemuArgs({
    uuid: UUID,
    smbios,
    machine: 'q35',
    cdrom: { path: '/s/a,b/cidata.iso', bus: 'ide' },
    metadataNic: { id: 'vmmeta0', mac: '52:54:00:12:34:56', connector: 'relay a,b' },
  });
  assert.deepEqual(
    argv.filter((a) => a.startsWith('-')),
    ['-machine', '-uuid', '-smbios', '-smbios', '-drive', '-device', '-netdev', '-device'],
  );
  assert.equal(
    argv[argv.indexOf('-drive') + 1],
    'file=/s/a,,b/cidata.iso,format=raw,if=none,id=vmmeta-cidata,media=cdrom,readonly=on',
  );
  assert.match(argv[argv.indexOf('-netdev') + 1] as string, /guestfwd=tcp:169\.254\.169\.254:80-cmd:relay a,,b$/);
  assert.equal(DEFAULT_CDROM_BUS, 'ide');
  assert.ok(CDROM_BUSES.ide.includes('default'));
});

test('the metadata NIC: slirp net holding .254, restrict=on, per-connection cmd: forward', () => {
  assert.deepEqual(metadataNicArgs({ id: 'vmmeta0', mac: '52:54:00:12:34:56', connector: 'socat - UNIX-CONNECT:/x' }), [
    '-netdev',
    'user,id=vmmeta0,net=169.254.169.0/24,restrict=on,guestfwd=tcp:169.254.169.254:80-cmd:socat - UNIX-CONNECT:/x',
    '-device',
    'virtio-net-pci,netdev=vmmeta0,mac=52:54:00:12:34:56',
  ]);
  assert.throws(() => metadataNicArgs({ id: 'x,y', mac: '52:54:00:12:34:56', connector: 'c' }), /netdev id/);
});

test("uuidMac is stable, unicast and locally administered under QEMU's prefix", () => {
  assert.equal(uuidMac(UUID), '52:54:00:1c:2a:10');
  assert.equal(uuidMac(UUID.toUpperCase()), uuidMac(UUID));
});

test('the three file forms', () => {
  const argv = ['-smbios', "type=1,product=it's", '-uuid', UUID];
  assert.equal(argsFileText(argv), `-smbios\ntype=1,product=it's\n-uuid\n${UUID}\n`);
  assert.equal(argsShell(argv), `-smbios 'type=1,product=it'\\''s' -uuid ${UUID}\n`);
  assert.deepEqual(JSON.parse(argsJson(argv)), argv);
  assert.throws(() => argsFileText(['a\nb']), /newline/);
  assert.equal(shellQuote(['A=b', 'c=d', '', '$HOME', '~']), `'A=b' c=d '' '$HOME' '~'`);
});

test('the connector quotes for g_shell_parse_argv and refuses unusable socket paths', () => {
  assert.equal(
    guestfwdConnector('/var/lib/vmmeta/vm1/sidecar.sock'),
    'socat -lf /dev/null - UNIX-CONNECT:/var/lib/vmmeta/vm1/sidecar.sock',
  );
  assert.throws(() => guestfwdConnector('/tmp/a b/sidecar.sock'), UserError);
  assert.throws(() => guestfwdConnector('/tmp/a,b/sidecar.sock'), UserError);
  assert.throws(() => guestfwdConnector('relative/sidecar.sock'), UserError);
  assert.throws(() => guestfwdConnector(`/${'x'.repeat(120)}`), /at most 107/);
});
