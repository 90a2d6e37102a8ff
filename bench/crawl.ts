// A whole cloud-init crawl against a live sidecar with Debian bookworm's own client code: the OpenStack
// MetadataReader (read_v2: versions, meta_data.json, user_data, vendor data, network_data.json) including its
// EC2 side-crawl of /latest/meta-data/ — pointed at the sidecar instead of the hard-coded 169.254.169.254 —
// then the EC2 datasource's get_instance_metadata on a dated version. Timed inside one Python process (warm)
// and as a fresh interpreter per crawl (cold: what a booting guest also pays for imports).
import { existsSync } from 'node:fs';
import type { BenchContext } from './lib/context.js';
import { row, type Row } from './lib/report.js';
import { median, now, msSince } from './lib/stats.js';
import { trackPid } from './lib/proc.js';
import { examplePath, newUuid, readSidecar, runCliOk, tempStateRoot, writeVariant } from './lib/vmmeta.js';
import { cloudInitClient, runCloudInitPython } from '../test/helpers/cloud-init.js';

const CRAWL = `
import json, sys, time
from cloudinit.sources.helpers import openstack, ec2
url, n, uuid = sys.argv[1], int(sys.argv[2]), sys.argv[3]

class Reader(openstack.MetadataReader):
    def _read_ec2_metadata(self):
        return ec2.get_instance_metadata(metadata_address=url, timeout=self.timeout, retries=self.retries)

times = []
for _ in range(n):
    t0 = time.perf_counter()
    res = Reader(url, timeout=5, retries=0).read_v2()
    md = ec2.get_instance_metadata(api_version="2009-04-04", metadata_address=url, timeout=5, retries=0)
    times.append((time.perf_counter() - t0) * 1000)
    if res["metadata"].get("uuid") != uuid:
        sys.exit("openstack uuid %r != %r" % (res["metadata"].get("uuid"), uuid))
    if not res.get("ec2-metadata") or md.get("instance-id") != res["metadata"]["instance-id"]:
        sys.exit("ec2 crawl incomplete: side-read %d keys, instance-id %r" % (len(res.get("ec2-metadata") or {}), md.get("instance-id")))
print(json.dumps({"times": times, "ec2Keys": len(md), "networkdata": "networkdata" in res}))
`;

export async function benchCrawl(ctx: BenchContext): Promise<Row[]> {
  const example = existsSync(examplePath('three-nic')) ? 'three-nic' : 'minimal';
  const client = cloudInitClient('bookworm');
  const root = tempStateRoot('crawl');
  const uuid = newUuid();
  const spec = writeVariant(examplePath(example), ctx.scratch, { name: 'bench-crawl', uuid });
  await runCliOk(['create', spec, '--json'], { stateDir: root });
  const side = readSidecar(root, 'bench-crawl');
  if (!side?.port) throw new Error('crawl: no tcp listener in sidecar.json');
  trackPid(side.pid);
  const url = `http://127.0.0.1:${side.port}`;

  const warmN = ctx.quick ? 5 : 50;
  const warm = runCloudInitPython(client, CRAWL, [url, String(warmN), uuid], { timeoutMs: 300_000 });
  if (warm.status !== 0) throw new Error(`crawl failed: ${warm.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const result = JSON.parse(warm.stdout) as { times: number[]; ec2Keys: number };
  const warmMs = median(result.times.slice(1));

  const cold: number[] = [];
  for (let i = 0; i < (ctx.quick ? 2 : 7); i++) {
    const t0 = now();
    const r = runCloudInitPython(client, CRAWL, [url, '1', uuid]);
    if (r.status !== 0) throw new Error(`cold crawl failed: ${r.stderr.trim()}`);
    cold.push(msSince(t0));
  }
  ctx.log(
    `crawl (${example}): warm ${warmMs.toFixed(1)} ms, cold ${median(cold).toFixed(0)} ms, ${result.ec2Keys} EC2 keys`,
  );
  return [
    row({
      group: 'crawl',
      name: `cloud-init 22.4 OpenStack read_v2 + EC2 crawl, warm (${example})`,
      value: warmMs,
      unit: 'ms',
      runs: warmN - 1,
    }),
    row({
      group: 'crawl',
      name: `same, fresh python3 per crawl incl. imports (${example})`,
      value: median(cold),
      unit: 'ms',
      runs: cold.length,
    }),
  ];
}
