// Everything one VM's sidecar serves, as one tree of absolute request paths: the OpenStack tree (/openstack/…),
// the EC2 tree (/, /<ver>/…, /latest/…) and the NoCloud-net seed (/nocloud/…). Keys ending in `/` are listings.
// `/` is the EC2 version list, as Nova answers it; /openstack/ and /nocloud/ are not in it (an EC2 client would
// take them for versions).
import type { ResolvedVm } from '../spec/schema.js';
import { renderEc2Http } from './ec2.js';
import { renderNoCloudHttp } from './nocloud.js';
import { renderOpenStackHttp } from './openstack.js';
import { sortedTree, type FileTree } from './tree.js';

export function renderHttpTree(vm: ResolvedVm): FileTree {
  const parts = [renderOpenStackHttp(vm), renderEc2Http(vm), renderNoCloudHttp(vm)];
  const entries: [string, Uint8Array][] = [];
  const seen = new Set<string>();
  for (const part of parts) {
    for (const [path, bytes] of part) {
      // The three trees live under disjoint prefixes; a clash would be a renderer bug, never a choice to make.
      if (seen.has(path)) throw new Error(`render: ${path} is rendered twice`);
      seen.add(path);
      entries.push([path, bytes]);
    }
  }
  return sortedTree(entries);
}

// The HTTP tree's leaves as a disk tree (relative paths, no listings), for writing the EC2 tree to a folder.
export function leavesOnly(tree: FileTree): FileTree {
  return sortedTree(
    [...tree]
      .filter(([path]) => !path.endsWith('/'))
      .map(([path, bytes]): [string, Uint8Array] => [path.replace(/^\//, ''), bytes]),
  );
}
