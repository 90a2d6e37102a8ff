// The real client reads the rendered HTTP tree: each suite's EC2 helpers (MetadataMaterializer offline, then
// get_instance_metadata / get_instance_userdata over HTTP), its Ec2 datasource's version probe and network
// conversion, and the OpenStack MetadataReader (read_v2 over HTTP), against a loopback server that answers from
// renderHttpTree with the lookup rules of docs/internals.md.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHttpTree } from '../../src/render/http.js';
import { openStackNetworkData } from '../../src/render/openstack-network.js';
import { cloudInitClient, runCloudInitPython, SUITES } from '../helpers/cloud-init.js';
import { EXAMPLE_NAMES, loadExample, treeJson } from '../helpers/render-io.js';
import { PY_TREE_LOOKUP, PY_TREE_SERVER } from '../helpers/render-lookup.js';

const HARNESS = String.raw`
import sys, json, base64, hashlib, threading, posixpath
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
try:
    from cloudinit.sources.helpers import ec2
except ImportError:  # 20.4: the module was cloudinit/ec2_utils.py
    from cloudinit import ec2_utils as ec2
from cloudinit.sources.helpers import openstack
from cloudinit.sources import DataSourceEc2
from cloudinit import url_helper

tree = {p: base64.b64decode(b) for p, b in json.load(open(sys.argv[1])).items()}
macs = json.loads(sys.argv[2])

${PY_TREE_LOOKUP}

${PY_TREE_SERVER}
out = {}

# 1. Offline: the materializer with a caller that reads the tree.
def caller(url):
    body = lookup(url[len(base):])
    if body is None:
        raise IOError("404 " + url)
    return body
url = base + "/2021-03-23/meta-data/"
md = ec2.MetadataMaterializer(caller(url), url, caller, leaf_decoder=ec2.MetadataLeafDecoder()).materialize()
out["materialized"] = md

# 2. The version probe DataSourceEc2 makes: every date it knows must answer instance-id.
ds = DataSourceEc2.DataSourceEc2
probe = [ds.min_metadata_version] + list(ds.extended_metadata_versions)
out["probe"] = {v: url_helper.readurl(base + "/%s/meta-data/instance-id" % v).contents.decode() for v in probe}

# 3. Over HTTP, as the datasource crawls: meta-data and user-data at the oldest and newest probed dates.
out["http"] = {}
for v in [ds.min_metadata_version, probe[1]]:
    m = ec2.get_instance_metadata(api_version=v, metadata_address=base, timeout=5, retries=0)
    ud = ec2.get_instance_userdata(api_version=v, metadata_address=base, timeout=5, retries=0)
    if isinstance(ud, str):
        ud = ud.encode()
    out["http"][v] = {"md": m, "ud_sha256": hashlib.sha256(ud or b"").hexdigest()}

# 4. Network config the Ec2 datasource builds from network/interfaces/macs.
net_md = out["http"][probe[1]]["md"].get("network")
if net_md:
    conv = DataSourceEc2.convert_ec2_metadata_network_config
    try:
        out["ec2_net"] = conv(net_md, macs_to_nics=macs)
    except TypeError:  # 25.1 takes the distro (for its network renderer) as second argument
        from cloudinit import distros, helpers
        distro = distros.fetch("debian")("debian", {}, helpers.Paths({}))
        out["ec2_net"] = conv(net_md, distro, macs_to_nics=macs)

# 5. The OpenStack reader over HTTP; its EC2 side-crawl (hard-wired to 169.254.169.254) reads /latest here.
reader = openstack.MetadataReader(base, timeout=5, retries=0)
reader._read_ec2_metadata = lambda: ec2.get_instance_metadata(api_version="latest", metadata_address=base, timeout=5, retries=0)
res = reader.read_v2()
ud = res.get("userdata") or b""
if isinstance(ud, str):
    ud = ud.encode()
out["openstack"] = {
    "picked": reader._find_working_version(),
    "instance_id": res["metadata"].get("instance-id"),
    "local_hostname": res["metadata"].get("local-hostname"),
    "public_keys": res["metadata"].get("public_keys"),
    "ud_sha256": hashlib.sha256(ud).hexdigest(),
    "networkdata": res.get("networkdata"),
    "vendordata": res.get("vendordata"),
    "ec2_instance_id": (res.get("ec2-metadata") or {}).get("instance-id"),
}
out["requests_404"] = [r for r in requests if lookup(r) is None]
print(json.dumps(out, default=str))
`;

for (const suite of SUITES) {
  for (const name of EXAMPLE_NAMES) {
    test(`${suite}: EC2 and OpenStack readers crawl the ${name} HTTP tree`, async () => {
      const client = cloudInitClient(suite);
      const vm = await loadExample(name);
      const dir = mkdtempSync(join(tmpdir(), 'vmmeta-ec2-'));
      try {
        const file = join(dir, 'tree.json');
        writeFileSync(file, treeJson(renderHttpTree(vm)));
        const macs = Object.fromEntries(
          vm.network.links.filter((l) => l.type === 'physical').map((l, i) => [l.mac, `ens${i + 3}`]),
        );
        const res = runCloudInitPython(client, HARNESS, [file, JSON.stringify(macs)]);
        assert.equal(res.status, 0, res.stderr);
        const out = JSON.parse(res.stdout);
        const keys = Object.fromEntries(vm.sshKeys.map((k) => [k.name, k.key.trimEnd()]));
        // Offline materializer: instance-id is a string (not a list), keys map name -> key.
        assert.equal(out.materialized['instance-id'], vm.ec2InstanceId);
        assert.deepEqual(out.materialized['public-keys'], keys);
        assert.equal(out.materialized.placement['availability-zone'], vm.availabilityZone);
        // Every date the datasource probes answers (pinned per generation: 20.4 knows no 2021-03-23).
        assert.deepEqual(
          Object.keys(out.probe),
          suite === 'bullseye'
            ? ['2009-04-04', '2018-09-24', '2016-09-02']
            : ['2009-04-04', '2021-03-23', '2018-09-24', '2016-09-02'],
        );
        for (const id of Object.values(out.probe)) assert.equal(id, vm.ec2InstanceId);
        const want = createHash('sha256')
          .update(vm.userData ?? new Uint8Array(0))
          .digest('hex');
        for (const [v, got] of Object.entries<any>(out.http)) {
          assert.equal(got.md['instance-id'], vm.ec2InstanceId, v);
          assert.equal(got.md['local-hostname'], vm.hostname, v);
          assert.deepEqual(got.md['public-keys'], keys, v);
          assert.equal(got.ud_sha256, want, `${v} user-data bytes`);
        }
        // DHCP on every NIC EC2 lists, matched by MAC.
        const nics = vm.network.links.filter(
          (l) => l.type === 'physical' && !vm.network.links.some((b) => b.type === 'bond' && b.members.includes(l.id)),
        );
        if (nics.length > 0) {
          const eths = out.ec2_net.ethernets as Record<string, any>;
          for (const nic of nics) {
            const e = eths[macs[nic.mac]!];
            assert.equal(e?.match?.macaddress, nic.mac, nic.id);
            assert.equal(e.dhcp4, true);
          }
        } else assert.equal(out.ec2_net, undefined);
        const os = out.openstack;
        assert.equal(os.picked, '2018-08-27');
        assert.equal(os.instance_id, vm.uuid);
        assert.equal(os.local_hostname, vm.hostname);
        assert.deepEqual(os.public_keys, Object.fromEntries(vm.sshKeys.map((k) => [k.name, `${k.key}\n`]))); // Nova's form: each key ends in a newline
        assert.equal(os.ud_sha256, want);
        assert.deepEqual(os.networkdata, openStackNetworkData(vm));
        assert.deepEqual(os.vendordata, vm.vendorData ?? {});
        assert.equal(os.ec2_instance_id, vm.ec2InstanceId);
        // The only 404s a whole crawl meets are the optional files the tree leaves out on purpose.
        for (const path of out.requests_404)
          assert.match(path, /\/openstack\/[^/]+\/(user_data|network_data\.json)$/, path);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}
