// The Python half of the nocloud-net decision, with each suite's real cloudinit package: given the SMBIOS serial
// vmmeta writes for `datasource.nocloud: net`, the init-local DataSourceNoCloud declines (it cannot use an http
// seed), and DataSourceNoCloudNet (init-network) fetches the seed from a local HTTP server and claims the instance.
// That is why the verdict lets OpenStackLocal win when OpenStack SMBIOS strings are added to a nocloud-net VM, and
// why resolveSmbios leaves them out by default.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cloudInitClient, runCloudInitPython, SUITES, SUITE_CLOUD_INIT } from '../helpers/cloud-init.js';
import { predictDatasource } from '../../src/guest/verdict.js';

const SCRIPT = String.raw`
import json, sys, tempfile, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from unittest import mock
from cloudinit import helpers, distros, util
from cloudinit.sources import DataSourceNoCloud as nc

FILES = {"/nocloud/meta-data": b"instance-id: 3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10\nlocal-hostname: seeded-host\n",
         "/nocloud/user-data": b"#cloud-config\n", "/nocloud/vendor-data": b"",
         "/nocloud/network-config": b"version: 2\nethernets: {}\n"}
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = FILES.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body or b"")
    def log_message(self, *a):
        pass
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
serial = "ds=nocloud-net;s=http://127.0.0.1:%d/nocloud/" % srv.server_address[1]

tmp = tempfile.mkdtemp()
import os
os.makedirs(tmp + "/run", exist_ok=True)
paths = helpers.Paths({"cloud_dir": tmp + "/cloud", "run_dir": tmp + "/run"})
distro = distros.fetch("debian")("debian", {}, paths)
sys_cfg = {"datasource": {"NoCloud": {"fs_label": None}}, "datasource_list": ["NoCloud", "OpenStack", "None"]}

def dmi(key):
    return serial if key == "system-serial-number" else ""
patches = [mock.patch.object(util, "get_cmdline", return_value="root=/dev/vda1 ro")]
try:
    from cloudinit import dmi as dmimod
    patches.append(mock.patch.object(dmimod, "read_dmi_data", side_effect=dmi))
except ImportError:
    pass
if hasattr(util, "read_dmi_data"):
    patches.append(mock.patch.object(util, "read_dmi_data", side_effect=dmi))
for p in patches:
    p.start()
local = nc.DataSourceNoCloud(sys_cfg, distro, paths).get_data()
net_ds = nc.DataSourceNoCloudNet(sys_cfg, distro, paths)
net = net_ds.get_data()
print(json.dumps({"local": bool(local), "net": bool(net), "hostname": net_ds.metadata.get("local-hostname") if net else None}))
srv.shutdown()
`;

for (const suite of SUITES) {
  test(`${suite}: nocloud-net serial — init-local NoCloud declines, NoCloudNet fetches the seed`, () => {
    const client = cloudInitClient(suite);
    const r = runCloudInitPython(client, SCRIPT, [], { timeoutMs: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout.trim().split('\n').pop() as string) as {
      local: boolean;
      net: boolean;
      hostname: string | null;
    };
    assert.deepEqual(got, { local: false, net: true, hostname: 'seeded-host' });
    const serial = 'ds=nocloud-net;s=http://169.254.169.254/nocloud/';
    const uuid = '3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10';
    const verdict = (productName: string) =>
      predictDatasource({
        arch: 'x86_64',
        cloudInit: SUITE_CLOUD_INIT[suite],
        dmi: { productName, assetTag: '', serial, uuid },
        disks: { cidata: false, config2: false },
        sidecar: { openstack: true, ec2: true, nocloud: true },
      }).winner;
    assert.equal(verdict('Standard PC (Q35 + ICH9, 2009)'), got.net && !got.local ? 'NoCloudNet' : 'unexpected');
    assert.equal(verdict('OpenStack Nova'), got.local ? 'NoCloud' : 'OpenStackLocal');
  });
}
