// Debian's real cloud-init (bullseye 20.4, bookworm 22.4, trixie 25.1, sid 26.2) reading a live `vmmeta serve` process that
// serves the real renderer's tree of templates/examples/three-nic.yaml: its OpenStack MetadataReader (read_v2 plus
// the EC2 side-crawl), its EC2 helpers, convert_net_json, and its Ec2 datasource's IMDSv2 token flow. Also the
// guestfwd path: a cloud-init crawl through a per-connection `socat - UNIX-CONNECT:<sock>`, as QEMU runs it.
import { ec2InstanceIdFor } from '../../src/spec/ids.js';
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '../../src/spec/load.js';
import { renderHttpTree } from '../../src/render/http.js';
import type { ResolvedVm } from '../../src/spec/schema.js';
import { cloudInitClient, runCloudInitPython, SUITES, cloudInitEnv } from '../helpers/cloud-init.js';
import { spawnServe, spawnSocketBridge, writeVmState, VMMETA_BIN, type ServeProcess } from '../helpers/sidecar.js';

// The Python side: cloud-init hard-codes http://169.254.169.254 in places; the harness points it at the sidecar
// and refuses, at the socket level, any connection that is not loopback.
const HARNESS = String.raw`
import sys, json, hashlib, socket, tempfile
base, mode = sys.argv[1], sys.argv[2]

_connect = socket.socket.connect
def _loopback_only(self, addr):
    if isinstance(addr, tuple) and addr[0] not in ('127.0.0.1', '::1'):
        raise OSError('harness: refusing to connect to %r' % (addr,))
    return _connect(self, addr)
socket.socket.connect = _loopback_only

from cloudinit import url_helper, util
_readurl = url_helper.readurl
def _only_base(url, *a, **kw):
    if not str(url).startswith(base):
        raise RuntimeError('harness: refusing URL %s' % url)
    return _readurl(url, *a, **kw)
url_helper.readurl = _only_base
# is_resolvable_url resolves made-up names to detect DNS hijacking: no DNS here.
util.is_resolvable_url = lambda url: True
try:
    from cloudinit.sources.helpers import ec2
except ImportError:
    from cloudinit import ec2_utils as ec2
from cloudinit.sources.helpers import openstack

def enc(o):
    if isinstance(o, bytes):
        return {'sha256': hashlib.sha256(o).hexdigest(), 'len': len(o)}
    if isinstance(o, (set, tuple)):
        return list(o)
    return str(o)

out = {}
if mode == 'openstack':
    class Reader(openstack.MetadataReader):
        def _read_ec2_metadata(self):
            return ec2.get_instance_metadata(api_version='latest', metadata_address=base,
                                             ssl_details=self.ssl_details, timeout=self.timeout, retries=self.retries)
    res = Reader(base, timeout=5, retries=0).read_v2()
    ud = res.get('userdata')
    out['metadata'] = res['metadata']
    out['userdata'] = ud.encode() if isinstance(ud, str) else ud
    out['ec2'] = res['ec2-metadata']
    out['vendordata'] = res.get('vendordata')
    out['network'] = openstack.convert_net_json(res['networkdata'], known_macs=json.loads(sys.argv[3]))
elif mode == 'ec2':
    out['metadata'] = ec2.get_instance_metadata(api_version='2009-04-04', metadata_address=base, retries=0)
    ud = ec2.get_instance_userdata(api_version='2009-04-04', metadata_address=base, retries=0)
    out['userdata'] = ud.encode() if isinstance(ud, str) else ud
elif mode == 'ec2-aws':
    # cloud-init uses IMDSv2 only when DMI says AWS: force the platform, keep everything else real.
    from cloudinit.sources import DataSourceEc2 as M
    from cloudinit import helpers
    M.identify_platform = lambda: M.CloudNames.AWS
    tmp = tempfile.mkdtemp()
    cfg = {'datasource': {'Ec2': {'metadata_urls': [base], 'max_wait': 10, 'timeout': 5}}}
    ds = M.DataSourceEc2(cfg, None, helpers.Paths({'cloud_dir': tmp, 'run_dir': tmp}))
    crawled = ds.crawl_metadata()
    out['token'] = bool(ds._api_token)
    out['address'] = ds.metadata_address
    out['version'] = crawled.get('_metadata_api_version')
    out['metadata'] = crawled.get('meta-data')
    ud = crawled.get('user-data')
    out['userdata'] = ud.encode() if isinstance(ud, str) else ud
    out['identity'] = (crawled.get('dynamic') or {}).get('instance-identity')
print(json.dumps(out, default=enc, sort_keys=True))
`;

const EXAMPLE = fileURLToPath(new URL('../../../templates/examples/three-nic.yaml', import.meta.url));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const root = mkdtempSync(join(tmpdir(), 'vmmeta-client-'));
let vm: ResolvedVm;
let optional: ServeProcess;
let required: ServeProcess;
// Each sidecar listens on its socket only (the default); a connector process gives the Python readers TCP.
const bridges = new Map<ServeProcess, { url: string; close(): void }>();
const url = (sp: ServeProcess) => bridges.get(sp)!.url;
const socketOf = (sp: ServeProcess) => (sp.ready.listen.find((l) => l.kind === 'unix') as { path: string }).path;

before(async () => {
  vm = (await loadSpecFile(EXAMPLE)).vm;
  const tree = renderHttpTree(vm);
  writeVmState(root, 'opt', tree, { uuid: vm.uuid });
  writeVmState(root, 'req', tree, { uuid: vm.uuid, imds: { tokens: 'required' } });
  [optional, required] = await Promise.all([spawnServe(root, 'opt'), spawnServe(root, 'req')]);
  for (const sp of [optional, required]) bridges.set(sp, await spawnSocketBridge(socketOf(sp)));
});
after(async () => {
  for (const b of bridges.values()) b.close();
  for (const sp of [optional, required]) sp?.child.kill('SIGTERM');
  await Promise.all([optional?.exit, required?.exit]);
});

// The connector test serves connections from this very process, so it cannot block on spawnSync.
function pythonAsync(
  suite: (typeof SUITES)[number],
  base: string,
  mode: string,
  extra: string[] = [],
): Promise<Record<string, any>> {
  const client = cloudInitClient(suite);
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', HARNESS, base, mode, ...extra], {
      cwd: '/',
      env: cloudInitEnv(client),
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill(), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`${suite} ${mode} exited ${code}: ${err}`));
    });
  });
}

function python(suite: (typeof SUITES)[number], base: string, mode: string, extra: string[] = []): Record<string, any> {
  const r = runCloudInitPython(cloudInitClient(suite), HARNESS, [base, mode, ...extra]);
  assert.equal(r.status, 0, `${suite} ${mode}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// The sidecar appends its access log off the request path: give it a moment after the client is done.
async function accessLog(vmName: string): Promise<{ method: string; path: string; status: number; token: boolean }[]> {
  await new Promise((r) => setTimeout(r, 200));
  const file = join(root, vmName, 'access.ndjson');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

const knownMacs = () =>
  JSON.stringify({ '52:54:00:12:34:01': 'eth0', '52:54:00:12:34:02': 'eth1', '52:54:00:12:34:03': 'eth2' });

function checkOpenStack(out: Record<string, any>, uuid = vm.uuid): void {
  assert.equal(out.metadata.uuid, uuid);
  assert.equal(out.metadata.hostname, vm.hostname);
  assert.deepEqual(Object.keys(out.metadata.public_keys).sort(), vm.sshKeys.map((k) => k.name).sort());
  for (const k of vm.sshKeys) assert.equal(out.metadata.public_keys[k.name].trim(), k.key);
  assert.equal(out.userdata.sha256, sha256(vm.userData!));
  assert.equal(out.ec2['instance-id'], uuid === vm.uuid ? vm.ec2InstanceId : ec2InstanceIdFor(uuid));
  assert.deepEqual(Object.keys(out.ec2['public-keys']).sort(), vm.sshKeys.map((k) => k.name).sort());
  const cfg = out.network.config as Record<string, any>[];
  const find = (pred: (c: Record<string, any>) => boolean): Record<string, any> =>
    cfg.find(pred) ?? assert.fail('missing network entry');
  const byName = (n: string) => find((c) => c.name === n);
  const physical = cfg.filter((c) => c.type === 'physical').map((c) => [c.name, c.mac_address]);
  assert.deepEqual(physical.sort(), [
    ['eth0', '52:54:00:12:34:01'],
    ['eth1', '52:54:00:12:34:02'],
    ['eth2', '52:54:00:12:34:03'],
  ]);
  const bond = find((c) => c.type === 'bond');
  assert.deepEqual([...bond.bond_interfaces].sort(), ['eth1', 'eth2']);
  const vlan = find((c) => c.type === 'vlan');
  assert.equal(vlan.vlan_id, 100);
  assert.equal(vlan.vlan_link, bond.name);
  const addrs = vlan.subnets.map((s: any) => `${s.type} ${s.address}${s.netmask ? '/' + s.netmask : ''}`).sort();
  assert.ok(
    addrs.some((a: string) => a.startsWith('static 192.0.2.10')),
    addrs.join(', '),
  );
  assert.ok(
    addrs.some((a: string) => /^static6 2001:db8:100::10/.test(a)),
    addrs.join(', '),
  );
  assert.ok(byName('eth0').subnets.some((s: any) => s.type === 'dhcp4' || s.type === 'dhcp'));
  const dns = cfg.filter((c) => c.type === 'nameserver').flatMap((c) => c.address);
  assert.deepEqual(dns, vm.network.dns.servers);
}

for (const suite of SUITES) {
  test(`${suite}: OpenStack MetadataReader.read_v2 + convert_net_json get the spec back`, () => {
    checkOpenStack(python(suite, url(optional), 'openstack', [knownMacs()]));
  });

  test(`${suite}: EC2 helpers (IMDSv1) get instance-id, hostname, keys and user-data bytes`, () => {
    const out = python(suite, url(optional), 'ec2');
    assert.equal(out.metadata['instance-id'], vm.ec2InstanceId);
    assert.equal(out.metadata['local-hostname'], vm.hostname);
    assert.deepEqual(Object.keys(out.metadata['public-keys']).sort(), vm.sshKeys.map((k) => k.name).sort());
    assert.equal(out.userdata.sha256, sha256(vm.userData!));
  });

  test(`${suite}: Ec2 datasource as AWS does the IMDSv2 token flow against a tokens-required sidecar`, async () => {
    const before = (await accessLog('req')).length;
    const out = python(suite, url(required), 'ec2-aws');
    assert.equal(out.token, true);
    assert.equal(out.metadata['instance-id'], vm.ec2InstanceId);
    assert.equal(out.userdata.sha256, sha256(vm.userData!));
    assert.equal(out.identity.document.instanceId, vm.ec2InstanceId);
    const log = (await accessLog('req')).slice(before);
    assert.ok(log.some((l) => l.method === 'PUT' && l.path === '/latest/api/token' && l.status === 200));
    const reads = log.filter((l) => l.method === 'GET');
    assert.ok(reads.length > 10);
    assert.ok(
      reads.every((l) => l.token && l.status === 200),
      JSON.stringify(reads.filter((l) => !l.token || l.status !== 200)),
    );
  });
}

test('bookworm: IMDSv1 reads against a tokens-required sidecar are refused with 401', async () => {
  const before = (await accessLog('req')).length;
  const out = python('bookworm', url(required), 'ec2');
  assert.deepEqual(out.metadata, {});
  const log = (await accessLog('req')).slice(before);
  assert.ok(log.length > 0 && log.every((l) => l.status === 401 && !l.token));
});

// QEMU's guestfwd=tcp:169.254.169.254:80-cmd:socat - UNIX-CONNECT:<sock> runs the connector once per guest
// connection with the stream on its stdin/stdout. This front does the same for loopback connections.
function guestfwdFront(socket: string): Promise<{ server: Server; url: string; spawned: () => number }> {
  let spawned = 0;
  const server = createServer((conn) => {
    spawned++;
    const child = spawn('socat', ['-', `UNIX-CONNECT:${socket}`], { stdio: ['pipe', 'pipe', 'ignore'] });
    conn.pipe(child.stdin);
    child.stdout.pipe(conn);
    child.on('exit', () => conn.end());
    conn.on('error', () => child.kill());
    child.stdin.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        spawned: () => spawned,
      }),
    ),
  );
}

test('bookworm: a whole cloud-init crawl through a per-connection socat connector to the Unix socket', async () => {
  const sock = optional.ready.listen.find((l) => l.kind === 'unix') as { path: string };
  const front = await guestfwdFront(sock.path);
  try {
    checkOpenStack(await pythonAsync('bookworm', front.url, 'openstack', [knownMacs()]));
    const out = await pythonAsync('bookworm', front.url, 'ec2');
    assert.equal(out.metadata['instance-id'], vm.ec2InstanceId);
    assert.ok(front.spawned() >= 20, `only ${front.spawned()} connector runs`);
  } finally {
    front.server.close();
  }
});

test('bookworm: the sidecar that `vmmeta create` launched serves the spec to the OpenStack reader; `vmmeta stop` ends it', async () => {
  const env = { ...process.env, VMMETA_STATE_DIR: mkdtempSync(join(tmpdir(), 'vmmeta-create-')) };
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [VMMETA_BIN, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  const created = cli('create', EXAMPLE, '--suppress-nocloud', '--json');
  assert.equal(created.status, 0, created.stderr);
  const { uuid, dir } = JSON.parse(created.stdout) as { uuid: string; dir: string };
  const info = JSON.parse(readFileSync(join(dir, 'sidecar.json'), 'utf8')) as {
    pid: number;
    listen: { kind: string; path: string }[];
  };
  assert.deepEqual(
    info.listen.map((l) => l.kind),
    ['unix'],
    'create starts a socket-only sidecar',
  );
  const bridge = await spawnSocketBridge(info.listen[0]!.path);
  try {
    checkOpenStack(python('bookworm', bridge.url, 'openstack', [knownMacs()]), uuid);
  } finally {
    bridge.close();
    const stopped = cli('stop', vm.name);
    assert.equal(stopped.status, 0, stopped.stderr);
  }
  // Gone, or a zombie waiting for a reaper (the detached sidecar's parent, create, has exited).
  const state = existsSync(`/proc/${info.pid}/stat`)
    ? readFileSync(`/proc/${info.pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]
    : 'gone';
  assert.ok(state === 'gone' || state === 'Z', `sidecar ${info.pid} still running (state ${state})`);
});
