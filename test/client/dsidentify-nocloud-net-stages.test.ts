// The Python half of the nocloud-net decision, with each suite's real cloudinit package: given the SMBIOS serial
// vmmeta writes for `datasource.nocloud: net` and that suite's generation, the init-local DataSourceNoCloud declines
// (it cannot use an http seed), and DataSourceNoCloudNet (init-network) fetches the seed from a local HTTP server,
// claims the instance in network mode, and logs no deprecation. That is why the verdict lets OpenStackLocal win when
// OpenStack SMBIOS strings are added to a nocloud-net VM, and why resolveSmbios leaves them out by default.
// The other name is pinned too: `nocloud-net` logs a deprecation from 24.1, and `ds=nocloud` before 24.1 leaves
// the datasource in local mode, which init-network gives up on (cmd/main.py: "datasource … in local mode").
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cloudInitClient, runCloudInitPython, SUITES, SUITE_CLOUD_INIT } from '../helpers/cloud-init.js';
import { predictDatasource } from '../../src/guest/verdict.js';
import { nocloudSeedName, nocloudSerial } from '../../src/hypervisor/smbios.js';

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
serial = sys.argv[1] + ";s=http://127.0.0.1:%d/nocloud/" % srv.server_address[1]

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
print(json.dumps({"local": bool(local), "net": bool(net), "dsmode": net_ds.dsmode, "hostname": net_ds.metadata.get("local-hostname") if net else None}))
srv.shutdown()
`;

type Stages = { local: boolean; net: boolean; dsmode: string; hostname: string | null; deprecated: boolean };

function stages(suite: (typeof SUITES)[number], name: string): Stages {
  const r = runCloudInitPython(cloudInitClient(suite), SCRIPT, [name], { timeoutMs: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Omit<Stages, 'deprecated'>;
  // 24.1+ log util.deprecate() through the logging module, which writes to stderr here.
  return { ...got, deprecated: /deprecated/i.test(r.stderr) };
}

for (const suite of SUITES) {
  const gen = SUITE_CLOUD_INIT[suite];
  const ours = nocloudSeedName(gen);
  test(`${suite}: vmmeta's serial (${ours}) — init-local NoCloud declines, NoCloudNet fetches the seed, no deprecation`, () => {
    const serial = nocloudSerial('http://169.254.169.254/nocloud/', gen);
    assert.ok(serial.startsWith(`${ours};s=`), serial);
    const got = stages(suite, ours);
    assert.deepEqual(got, { local: false, net: true, dsmode: 'net', hostname: 'seeded-host', deprecated: false });
    const uuid = '3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10';
    const verdict = (productName: string) =>
      predictDatasource({
        arch: 'x86_64',
        cloudInit: gen,
        dmi: { productName, assetTag: '', serial, uuid },
        disks: { cidata: false, config2: false },
        sidecar: { openstack: true, ec2: true, nocloud: true },
      }).winner;
    assert.equal(verdict('Standard PC (Q35 + ICH9, 2009)'), got.net && !got.local ? 'NoCloudNet' : 'unexpected');
    assert.equal(verdict('OpenStack Nova'), got.local ? 'NoCloud' : 'OpenStackLocal');
  });

  const other = ours === 'ds=nocloud' ? 'ds=nocloud-net' : 'ds=nocloud';
  test(`${suite}: the other name (${other}) is what vmmeta avoids for ${gen}`, () => {
    const got = stages(suite, other);
    if (other === 'ds=nocloud-net') assert.deepEqual([got.net, got.dsmode, got.deprecated], [true, 'net', true]);
    else assert.deepEqual([got.net, got.dsmode, got.deprecated], [true, 'local', false]);
  });
}
