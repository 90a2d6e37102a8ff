// The real client reads the NoCloud seed: the CD's files as DataSourceNoCloud merges a mounted seed
// (pathprefix2dict + _merge_new_seed), and the same seed over HTTP as ds=nocloud-net fetches it (util.read_seeded
// against a loopback server answering from renderHttpTree), for each suite.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHttpTree } from '../../src/render/http.js';
import { noCloudNetworkConfig } from '../../src/render/nocloud-network.js';
import { renderNoCloud } from '../../src/render/nocloud.js';
import { cloudInitClient, suiteAtLeast, runCloudInitPython, SUITES } from '../helpers/cloud-init.js';
import { EXAMPLE_NAMES, loadExample, treeJson, writeTree } from '../helpers/render-io.js';
import { PY_TREE_SERVER } from '../helpers/render-lookup.js';

const HARNESS = String.raw`
import sys, json, base64, hashlib, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from cloudinit import util, sources
from cloudinit.sources import DataSourceNoCloud

tree = {p: base64.b64decode(b) for p, b in json.load(open(sys.argv[2])).items()}
lookup = tree.get
${PY_TREE_SERVER}

def sha(b):
    if b is None:
        return None
    if isinstance(b, str):
        b = b.encode()
    return hashlib.sha256(b).hexdigest()

def summary(md, ud, vd, net):
    return {"instance_id": md.get("instance-id"), "local_hostname": md.get("local-hostname"),
            "keys": sources.normalize_pubkey_data(md.get("public-keys")),
            "ud": sha(ud), "vd": sha(vd) if vd else None, "net": net}

# The CD, as a mounted seed.
empty = {"meta-data": {}, "user-data": "", "vendor-data": "", "network-config": None}
seeded = util.pathprefix2dict(sys.argv[1], required=["user-data", "meta-data"], optional=["vendor-data", "network-config"])
merged = DataSourceNoCloud._merge_new_seed(empty, seeded)
out = {"cd": summary(merged["meta-data"], merged["user-data"], merged.get("vendor-data"), merged.get("network-config"))}

# ds=nocloud-net;s=<sidecar>/nocloud/
r = util.read_seeded("http://127.0.0.1:%d/nocloud/" % srv.server_address[1], timeout=5, retries=0)
md, ud, vd = r[0], r[1], r[2]
net = r[3] if len(r) > 3 else "not fetched"
out["net"] = summary(md, ud, vd, net)
out["requests"] = requests
print(json.dumps(out, default=str))
`;

for (const suite of SUITES) {
  for (const name of EXAMPLE_NAMES) {
    test(`${suite}: NoCloud reads the ${name} seed from the CD and over HTTP`, async () => {
      const client = cloudInitClient(suite);
      const vm = await loadExample(name);
      const cd = writeTree(renderNoCloud(vm));
      const treeFile = join(cd, '..', `${cd.split('/').pop()}.json`);
      try {
        writeFileSync(treeFile, treeJson(renderHttpTree(vm)));
        const res = runCloudInitPython(client, HARNESS, [cd, treeFile]);
        assert.equal(res.status, 0, res.stderr);
        const out = JSON.parse(res.stdout);
        const ud = createHash('sha256')
          .update(vm.userData ?? new Uint8Array(0))
          .digest('hex');
        const vendor = vm.vendorData?.['cloud-init'];
        const vd = typeof vendor === 'string' ? createHash('sha256').update(vendor).digest('hex') : null;
        const net = noCloudNetworkConfig(vm);
        for (const via of ['cd', 'net'] as const) {
          const got = out[via];
          assert.equal(got.instance_id, vm.instanceId, via);
          assert.equal(got.local_hostname, vm.hostname, via);
          assert.deepEqual(
            got.keys,
            vm.sshKeys.map((k) => `${k.key}\n`),
            via,
          ); // as in meta_data.json: keys end in a newline
          assert.equal(got.ud, ud, `${via}: user-data bytes`);
          assert.equal(got.vd, vd, `${via}: vendor-data`);
        }
        // The CD's network-config parses (PyYAML, YAML 1.1) to exactly the rendered value.
        assert.deepEqual(out.cd.net, net);
        // Pinned: only 25.1+ fetches network-config over HTTP (23.x+ read_seeded); 20.4/22.4 never ask for it.
        if (suiteAtLeast(suite, '25.1')) assert.deepEqual(out.net.net, net);
        else assert.equal(out.net.net, 'not fetched');
        assert.equal(out.requests.includes('/nocloud/network-config'), suiteAtLeast(suite, '25.1'));
        // Nothing the seed reader asks for is missing, so it never waits out its retries.
        const served = renderHttpTree(vm);
        assert.ok(out.requests.length >= 3);
        for (const r of out.requests) assert.ok(served.has(r), `${r} is requested but not served`);
      } finally {
        rmSync(cd, { recursive: true, force: true });
        rmSync(treeFile, { force: true });
      }
    });
  }
}
