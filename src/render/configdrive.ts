// The config-2 drive (Nova's configdrive.py + InstanceMetadata.metadata_for_config_drive): the OpenStack files of
// every version under openstack/, EC2 meta-data as one JSON file per version under ec2/ (only 2009-04-04 and
// latest: Nova skips the older ones by default), and user-data next to it. No listings: the guest reads
// directories. cloud-init's ConfigDrive datasource needs only openstack/<ver>/meta_data.json with a uuid.
import type { ResolvedVm } from '../spec/schema.js';
import { ec2MetadataJson } from './ec2.js';
import { renderOpenStackDisk } from './openstack.js';
import { sortedTree, stableJson, utf8, type FileTree } from './tree.js';
import { CONFIG_DRIVE_EC2_VERSIONS } from './versions.js';

export function renderConfigDrive(vm: ResolvedVm): FileTree {
  const entries: [string, Uint8Array][] = [...renderOpenStackDisk(vm, { configDrive: true })];
  for (const version of CONFIG_DRIVE_EC2_VERSIONS) {
    entries.push([`ec2/${version}/meta-data.json`, utf8(stableJson(ec2MetadataJson(vm, version)))]);
    if (vm.userData !== undefined) entries.push([`ec2/${version}/user-data`, vm.userData]);
  }
  return sortedTree(entries);
}
