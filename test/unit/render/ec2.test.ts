import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ec2MetadataJson, renderEc2Http } from '../../../src/render/ec2.js';
import { ec2Nics, regionOf } from '../../../src/render/ec2-meta.js';
import { EC2_VERSIONS } from '../../../src/render/versions.js';
import { ec2OnlyVm, minimalVm, resolve, threeNicVm, ED25519, RSA_KEY, FIXED_UUID } from '../../helpers/vm-fixtures.js';

const EC2_ID = `i-${FIXED_UUID.replaceAll('-', '').slice(0, 17)}`;
import { listedPaths, lookup, text } from '../../helpers/render-lookup.js';

const lines = (b: Uint8Array | undefined) => text(b)!.split('\n');

test('/ lists every version cloud-init probes, plus latest; never only latest', () => {
  const t = renderEc2Http(minimalVm());
  const versions = lines(t.get('/'));
  for (const v of ['1.0', '2009-04-04', '2016-09-02', '2018-09-24', '2021-03-23', 'latest'])
    assert.ok(versions.includes(v), v);
  for (const v of versions) assert.equal(text(lookup(t, `/${v}/meta-data/instance-id`)), EC2_ID, v);
});

test('every listed entry of every version is fetchable (a listed 404 makes cloud-init drop the whole tree)', () => {
  for (const vm of [minimalVm(), threeNicVm(), ec2OnlyVm()]) {
    const t = renderEc2Http(vm);
    const todo = ['/'];
    const visited = new Set<string>(['/']);
    while (todo.length) {
      const dir = todo.pop()!;
      for (const child of listedPaths(t, dir)) {
        const path = dir === '/' ? `/${child.slice(1)}/` : child;
        assert.ok(lookup(t, path) !== undefined, `${vm.name}: ${path} is listed but missing`);
        if (path.endsWith('/')) todo.push(path);
        visited.add(path);
      }
    }
    // Nothing is served that the listings do not lead to (public-keys/<i>/ is reached through the i=name line).
    const unlisted = [...t.keys()].filter((p) => !visited.has(p) && !/\/public-keys\/\d+\/$/.test(p));
    assert.deepEqual(unlisted, [], vm.name);
  }
});

test('no leaf is empty or ends with a newline (cloud-init turns multi-line leaves into lists)', () => {
  const t = renderEc2Http(ec2OnlyVm()); // its key was given with a trailing newline
  for (const [path, bytes] of t) {
    if (path.endsWith('/') || path.endsWith('/user-data')) continue;
    assert.ok(bytes.length > 0, path);
    assert.ok(!text(bytes)!.endsWith('\n'), path);
  }
  assert.equal(text(t.get('/2009-04-04/meta-data/public-keys/0/openssh-key')), ED25519);
});

test('public keys are listed as i=name, with i/ listing openssh-key', () => {
  const t = renderEc2Http(threeNicVm());
  assert.equal(text(t.get('/2009-04-04/meta-data/public-keys/')), '0=ops\n1=backup');
  assert.equal(text(lookup(t, '/2009-04-04/meta-data/public-keys/1')), 'openssh-key');
  assert.equal(text(t.get('/2009-04-04/meta-data/public-keys/1/openssh-key')), RSA_KEY);
  assert.equal(renderEc2Http(resolve({ name: 'nokeys' })).has('/latest/meta-data/public-keys/'), false);
});

test('keys appear only from the version that introduced them', () => {
  const t = renderEc2Http(threeNicVm());
  const md = (v: string) => lines(t.get(`/${v}/meta-data/`));
  assert.deepEqual(md('1.0'), [
    'ami-id',
    'ami-launch-index',
    'ami-manifest-path',
    'hostname',
    'instance-id',
    'local-ipv4',
    'public-keys/',
    'reservation-id',
    'security-groups',
  ]);
  assert.ok(!md('1.0').includes('local-hostname') && md('2007-01-19').includes('local-hostname'));
  assert.ok(!md('2007-03-01').includes('instance-type') && md('2007-08-29').includes('instance-type'));
  assert.ok(!md('2007-10-10').includes('block-device-mapping/') && md('2007-12-15').includes('block-device-mapping/'));
  assert.ok(!md('2007-12-15').includes('placement/') && md('2008-02-01').includes('placement/'));
  assert.ok(!md('2008-02-01').includes('instance-action') && md('2008-09-01').includes('instance-action'));
  assert.ok(
    !md('2009-04-04').includes('mac') && md('2016-09-02').includes('mac') && md('2016-09-02').includes('network/'),
  );
  assert.equal(text(t.get('/2008-09-01/')), 'meta-data/\nuser-data');
  assert.equal(text(t.get('/2009-04-04/')), 'dynamic/\nmeta-data/\nuser-data');
  assert.deepEqual(
    [...t].filter(([p]) => p.startsWith('/latest/')).map(([p, b]) => [p.replace('/latest/', ''), text(b)]),
    [...t].filter(([p]) => p.startsWith('/2021-03-23/')).map(([p, b]) => [p.replace('/2021-03-23/', ''), text(b)]),
  );
});

test('values: ids, hostname, placement, block devices, local-ipv4', () => {
  const t = renderEc2Http(threeNicVm());
  const get = (p: string) => text(t.get(`/2021-03-23/meta-data/${p}`));
  // AWS's form, derived from the uuid (CirrOS's ds/ec2 waits for "i-"); an explicit instanceId is used as is.
  assert.equal(get('instance-id'), EC2_ID);
  assert.equal(get('local-hostname'), 'router-1.example.net');
  assert.equal(get('placement/availability-zone'), 'nova');
  assert.equal(get('block-device-mapping/root'), '/dev/vda');
  assert.equal(get('local-ipv4'), '192.0.2.10');
  assert.equal(get('ami-launch-index'), '0');
  assert.equal(renderEc2Http(ec2OnlyVm()).has('/latest/meta-data/local-ipv4'), false);
});

test('network/interfaces/macs describes the NICs that are not bond members', () => {
  const vm = threeNicVm();
  assert.deepEqual(
    ec2Nics(vm).map((l) => l.id),
    ['eth2'],
  );
  const t = renderEc2Http(vm);
  assert.equal(text(t.get('/latest/meta-data/mac')), '52:54:00:00:00:03');
  assert.equal(text(t.get('/latest/meta-data/network/interfaces/macs/')), '52:54:00:00:00:03/');
  const two = resolve({
    name: 'two',
    network: {
      links: [
        { id: 'a', type: 'physical', mac: '52:54:00:00:00:0a' },
        { id: 'b', type: 'physical', mac: '52:54:00:00:00:0b' },
      ],
      networks: [
        { link: 'a', type: 'ipv4', address: '10.0.0.5/24' },
        { link: 'a', type: 'ipv4', address: '10.0.0.6/24' },
        { link: 'b', type: 'ipv6', address: '2001:db8::5/64' },
      ],
    },
  });
  const u = renderEc2Http(two);
  const nic = (mac: string, key: string) => text(u.get(`/latest/meta-data/network/interfaces/macs/${mac}/${key}`));
  assert.equal(nic('52:54:00:00:00:0a', 'device-number'), '0');
  assert.equal(nic('52:54:00:00:00:0a', 'local-ipv4s'), '10.0.0.5\n10.0.0.6');
  assert.equal(nic('52:54:00:00:00:0a', 'subnet-ipv4-cidr-block'), '10.0.0.0/24');
  assert.equal(nic('52:54:00:00:00:0b', 'device-number'), '1');
  assert.equal(nic('52:54:00:00:00:0b', 'ipv6s'), '2001:db8::5');
  assert.equal(nic('52:54:00:00:00:0b', 'subnet-ipv6-cidr-blocks'), '2001:db8::/64');
  assert.equal(nic('52:54:00:00:00:0b', 'local-ipv4s'), undefined);
});

test('user-data: exact bytes when present, absent (404) and unlisted when not', () => {
  const t = renderEc2Http(minimalVm());
  assert.deepEqual(t.get('/2009-04-04/user-data'), minimalVm().userData);
  const none = renderEc2Http(ec2OnlyVm());
  for (const v of [...EC2_VERSIONS, 'latest']) {
    assert.equal(none.has(`/${v}/user-data`), false);
    assert.ok(!lines(none.get(`/${v}/`)).includes('user-data'));
  }
});

test('instance identity document is JSON ending in } (parsed as JSON by cloud-init) from 2009-04-04 on', () => {
  const t = renderEc2Http(threeNicVm());
  assert.equal(t.has('/2008-09-01/dynamic/instance-identity/document'), false);
  const doc = text(t.get('/2009-04-04/dynamic/instance-identity/document'))!;
  assert.ok(doc.startsWith('{') && doc.endsWith('}'));
  assert.deepEqual(JSON.parse(doc), {
    architecture: 'x86_64',
    availabilityZone: 'nova',
    imageId: 'ami-00000000',
    instanceId: EC2_ID,
    instanceType: 'vmmeta.custom',
    privateIp: '192.0.2.10',
    region: 'nova',
    version: '2017-09-30',
  });
  assert.equal(regionOf('us-east-1a'), 'us-east-1');
  assert.equal(regionOf('nova'), 'nova');
});

test('ec2MetadataJson is the same tree as the HTTP leaves', () => {
  const vm = threeNicVm();
  const t = renderEc2Http(vm);
  const walk = (node: any, prefix: string): void => {
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'string') assert.equal(text(t.get(`${prefix}${k}`)), v, `${prefix}${k}`);
      else walk(v, `${prefix}${k}/`);
    }
  };
  walk(ec2MetadataJson(vm, '2009-04-04'), '/2009-04-04/meta-data/');
  walk(ec2MetadataJson(vm), '/latest/meta-data/');
  assert.deepEqual((ec2MetadataJson(vm) as any)['public-keys'], {
    '0': { 'openssh-key': ED25519 },
    '1': { 'openssh-key': RSA_KEY },
  });
});
