// The real client reads the rendered config drive: each suite's own cloud-init (ConfigDriveReader.read_v2, the
// code DataSourceConfigDrive runs on a mounted config-2 disk) on the tree written to a folder.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { renderConfigDrive } from '../../src/render/configdrive.js';
import { cloudInitClient, runCloudInitPython, SUITES } from '../helpers/cloud-init.js';
import { EXAMPLE_NAMES, loadExample, writeTree } from '../helpers/render-io.js';

const READ = String.raw`
import sys, json, hashlib
from cloudinit import sources
from cloudinit.sources.helpers import openstack
reader = openstack.ConfigDriveReader(sys.argv[1])
res = reader.read_v2()
md = res["metadata"]
ud = res.get("userdata") or b""
if isinstance(ud, str):
    ud = ud.encode()
def conv(x):
    try:
        return sources.convert_vendordata(x)
    except Exception as e:
        return "ERROR %s" % e
print(json.dumps({
    "version": res.get("version"),
    "picked": reader._find_working_version(),
    "instance_id": md.get("instance-id"),
    "local_hostname": md.get("local-hostname"),
    "public_keys": md.get("public_keys"),
    "availability_zone": md.get("availability_zone"),
    "random_seed_len": len(md.get("random_seed") or b""),
    "userdata_sha256": hashlib.sha256(ud).hexdigest(),
    "vendordata": conv(res.get("vendordata")),
    "has_vendordata2": "vendordata2" in res,
    "vendordata2": conv(res.get("vendordata2")),
    "networkdata": res.get("networkdata"),
    "ec2_instance_id": (res.get("ec2-metadata") or {}).get("instance-id"),
    "admin_pass": md.get("admin_pass"),
}, default=str))
`;

for (const suite of SUITES) {
  for (const name of EXAMPLE_NAMES) {
    test(`${suite}: ConfigDriveReader reads the ${name} config drive`, async () => {
      const client = cloudInitClient(suite);
      const vm = await loadExample(name);
      const dir = writeTree(renderConfigDrive(vm));
      try {
        const res = runCloudInitPython(client, READ, [dir]);
        assert.equal(res.status, 0, res.stderr);
        const out = JSON.parse(res.stdout);
        assert.equal(out.version, 2);
        // Every generation knows dates up to 2018-08-27 and picks the newest one present.
        assert.equal(out.picked, '2018-08-27');
        assert.equal(out.instance_id, vm.uuid);
        assert.equal(out.local_hostname, vm.hostname);
        // Each value ends in a newline, as Nova's do (CirrOS concatenates them); cloud-init installs them as they are.
        assert.deepEqual(out.public_keys, Object.fromEntries(vm.sshKeys.map((k) => [k.name, `${k.key}\n`])));
        assert.equal(out.availability_zone, vm.availabilityZone);
        assert.equal(out.random_seed_len, 512);
        const want = createHash('sha256')
          .update(vm.userData ?? new Uint8Array(0))
          .digest('hex');
        assert.equal(out.userdata_sha256, want, 'user-data bytes exact');
        const vendor = vm.vendorData?.['cloud-init'];
        assert.equal(out.vendordata, typeof vendor === 'string' ? vendor : null);
        // vendor_data2.json = {"static": …}: nothing for cloud-init to run twice.
        assert.equal(out.vendordata2, null);
        // Pinned: 20.4 does not read vendor_data2.json at all; 22.4, 25.1 and 26.2 do.
        assert.equal(out.has_vendordata2, suite !== 'bullseye');
        assert.equal(out.networkdata === null, vm.network.links.length === 0);
        assert.equal(out.ec2_instance_id, vm.ec2InstanceId);
        assert.equal(out.admin_pass, vm.adminPassword ?? null);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}
