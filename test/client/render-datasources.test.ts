// Whole datasources of each suite's cloud-init accept vmmeta's documents: DataSourceOpenStack and DataSourceEc2
// crawl a loopback server answering from renderHttpTree, DataSourceNoCloud and DataSourceConfigDrive read seed
// folders holding the CD and config-drive trees. Only what touches the host is replaced: platform detection (DMI),
// the NIC list (MAC -> name), the fallback NIC, and the OpenStack reader's EC2 side-crawl address.
// All four must agree on instance-id, hostname, keys, availability zone and user-data.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderConfigDrive } from '../../src/render/configdrive.js';
import { renderHttpTree } from '../../src/render/http.js';
import { renderNoCloud } from '../../src/render/nocloud.js';
import { noCloudNetworkConfig } from '../../src/render/nocloud-network.js';
import { ec2Nics } from '../../src/render/ec2-meta.js';
import { cloudInitClient, runCloudInitPython, SUITES } from '../helpers/cloud-init.js';
import { EXAMPLE_NAMES, loadExample, treeJson, writeTree } from '../helpers/render-io.js';
import { PY_TREE_LOOKUP, PY_TREE_SERVER } from '../helpers/render-lookup.js';
import { resolve } from '../helpers/vm-fixtures.js';
import type { ResolvedVm } from '../../src/spec/schema.js';

// The examples, plus the barest spec there is (a name: no keys, no user-data, no network).
const CASES: [string, () => Promise<ResolvedVm>][] = [
  ...EXAMPLE_NAMES.map((n): [string, () => Promise<ResolvedVm>] => [n, () => loadExample(n)]),
  ['bare', async () => resolve({ name: 'bare' })],
];

const HARNESS = String.raw`
import sys, json, base64, hashlib, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from cloudinit import distros, helpers, net
tree_file, root, macs_json, want_net = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
macs = json.loads(macs_json)
net.get_interfaces_by_mac = lambda *a, **k: dict(macs)
tree = {p: base64.b64decode(b) for p, b in json.load(open(tree_file)).items()}
${PY_TREE_LOOKUP}
${PY_TREE_SERVER}
paths = helpers.Paths({"cloud_dir": root + "/cloud", "run_dir": root + "/run"})
distro = distros.fetch("debian")("debian", {}, paths)
cfg = {"metadata_urls": [base], "max_wait": 5, "timeout": 5, "retries": 0, "strict_id": "false"}

def make(kind):
    sys_cfg = {"datasource": {"OpenStack": cfg, "Ec2": cfg}, "datasource_list": [kind]}
    if kind == "OpenStack":
        from cloudinit.sources import DataSourceOpenStack as M
        from cloudinit.sources.helpers import openstack
        try:
            from cloudinit.sources.helpers import ec2
        except ImportError:  # 20.4
            from cloudinit import ec2_utils as ec2
        M.detect_openstack = lambda *a, **k: True           # 20.4, 22.4: DMI check inside _get_data
        M.DataSourceOpenStack.ds_detect = lambda self: True  # 25.1
        openstack.MetadataReader._read_ec2_metadata = lambda self: ec2.get_instance_metadata(
            api_version="latest", metadata_address=base, timeout=5, retries=0)
        return M.DataSourceOpenStack(sys_cfg, distro, paths)
    if kind == "Ec2":
        from cloudinit.sources import DataSourceEc2 as M
        M.identify_platform = lambda *a, **k: M.CloudNames.UNKNOWN
        return M.DataSourceEc2(sys_cfg, distro, paths)
    if kind == "NoCloud":
        from cloudinit.sources import DataSourceNoCloud as M
        return M.DataSourceNoCloud(sys_cfg, distro, paths)
    from cloudinit.sources import DataSourceConfigDrive as M
    return M.DataSourceConfigDrive(sys_cfg, distro, paths)

def text(b):
    return b.decode() if isinstance(b, bytes) else b

out = {}
for kind in ["OpenStack", "Ec2", "NoCloud", "ConfigDrive"]:
    ds = make(kind)
    ok = ds.get_data()
    ds._fallback_interface = sorted(macs.values())[0] if macs else None
    def hn(fqdn):
        h = ds.get_hostname(fqdn=fqdn)
        return getattr(h, "hostname", h)
    ud = ds.get_userdata_raw() or b""
    if isinstance(ud, str):
        ud = ud.encode()
    out[kind] = {"ok": ok, "instance_id": ds.get_instance_id(), "hostname": hn(False), "fqdn": hn(True),
        "keys": sorted(ds.get_public_ssh_keys()), "az": ds.availability_zone,
        "ud": hashlib.sha256(ud).hexdigest(), "vd": text(ds.get_vendordata_raw()),
        "platform": ds.platform_type, "network": ds.network_config if want_net else None}
print(json.dumps(out, default=str))
`;

const PLATFORM = { OpenStack: 'openstack', Ec2: 'ec2', NoCloud: 'nocloud', ConfigDrive: 'configdrive' } as const;

for (const suite of SUITES) {
  for (const [name, load] of CASES) {
    test(`${suite}: OpenStack, Ec2, NoCloud and ConfigDrive datasources agree on the ${name} VM`, async () => {
      const client = cloudInitClient(suite);
      const vm = await load();
      const root = mkdtempSync(join(tmpdir(), 'vmmeta-ds-'));
      try {
        mkdirSync(join(root, 'run'));
        writeTree(renderNoCloud(vm), join(root, 'cloud', 'seed', 'nocloud'));
        writeTree(renderConfigDrive(vm), join(root, 'cloud', 'seed', 'config_drive'));
        const treeFile = join(root, 'tree.json');
        writeFileSync(treeFile, treeJson(renderHttpTree(vm)));
        const physical = vm.network.links.filter((l) => l.type === 'physical');
        const macs = Object.fromEntries(physical.map((l, i) => [l.mac, `ens${i + 3}`]));
        const res = runCloudInitPython(client, HARNESS, [
          treeFile,
          root,
          JSON.stringify(macs),
          physical.length > 0 ? '1' : '0',
        ]);
        assert.equal(res.status, 0, res.stderr);
        const out = JSON.parse(res.stdout);
        const ud = createHash('sha256')
          .update(vm.userData ?? new Uint8Array(0))
          .digest('hex');
        const vendor = vm.vendorData?.['cloud-init'];
        for (const kind of Object.keys(PLATFORM) as (keyof typeof PLATFORM)[]) {
          const got = out[kind];
          const label = `${suite} ${name} ${kind}`;
          assert.equal(got.ok, true, label);
          assert.equal(got.platform, PLATFORM[kind], label);
          assert.equal(
            got.instance_id,
            kind === 'OpenStack' || kind === 'ConfigDrive'
              ? vm.uuid
              : kind === 'Ec2'
                ? vm.ec2InstanceId
                : vm.instanceId,
            label,
          );
          assert.equal(got.hostname, vm.hostname.split('.')[0], label);
          if (vm.hostname.includes('.')) assert.equal(got.fqdn, vm.hostname, label);
          assert.deepEqual(
            got.keys.map((k: string) => k.trimEnd()).sort(),
            vm.sshKeys.map((k) => k.key.trimEnd()).sort(),
            label,
          );
          assert.equal(got.az, vm.availabilityZone, label);
          assert.equal(got.ud, ud, `${label}: user-data bytes`);
          // The EC2 tree has no vendor data; the others carry the vendor cloud-config once.
          // ("no vendor data" is None for some datasources and '' for NoCloud)
          assert.equal(got.vd || null, kind === 'Ec2' || typeof vendor !== 'string' ? null : vendor, label);
        }
        if (physical.length > 0) {
          // OpenStack and ConfigDrive: v1 from network_data.json, NICs under the guest's names.
          for (const kind of ['OpenStack', 'ConfigDrive']) {
            const cfg = out[kind].network;
            assert.equal(cfg.version, 1, kind);
            const names = cfg.config
              .filter((c: any) => c.type === 'physical')
              .map((c: any) => c.name)
              .sort();
            assert.deepEqual(names, Object.values(macs).sort(), kind);
          }
          // NoCloud: the network-config file, as rendered.
          assert.deepEqual(out.NoCloud.network, noCloudNetworkConfig(vm));
          // Ec2: DHCP on each NIC the EC2 tree lists.
          const eths = out.Ec2.network.ethernets as Record<string, any>;
          assert.deepEqual(
            Object.values(eths)
              .map((e: any) => e.match.macaddress)
              .sort(),
            ec2Nics(vm)
              .map((l) => l.mac)
              .sort(),
          );
          for (const e of Object.values(eths)) assert.equal(e.dhcp4, true);
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
}
