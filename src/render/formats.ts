// The formats `vmmeta render --format` writes, as a table: a new output is a new row. Each tree's paths are
// relative to its own root; `--format all` writes each one under <out>/<name>/ (two of them both contain
// openstack/, so they cannot share a folder).
import type { ResolvedVm } from '../spec/schema.js';
import { renderConfigDrive } from './configdrive.js';
import { renderEc2Http } from './ec2.js';
import { leavesOnly } from './http.js';
import { renderNoCloud } from './nocloud.js';
import { renderOpenStackDisk } from './openstack.js';
import type { FileTree } from './tree.js';

export type FormatName = 'openstack' | 'ec2' | 'nocloud' | 'configdrive';

export interface Format {
  name: FormatName;
  description: string;
  render(vm: ResolvedVm): FileTree;
}

export const FORMATS: readonly Format[] = [
  {
    name: 'openstack',
    description:
      'OpenStack metadata: openstack/<version>/{meta_data.json,user_data,vendor_data.json,network_data.json,vendor_data2.json}',
    render: (vm) => renderOpenStackDisk(vm),
  },
  {
    name: 'ec2',
    description:
      'EC2 metadata leaves as the sidecar serves them: <version>/meta-data/…, <version>/user-data, <version>/dynamic/…',
    render: (vm) => leavesOnly(renderEc2Http(vm)),
  },
  {
    name: 'nocloud',
    description: 'NoCloud seed (the cidata CD): meta-data, user-data, vendor-data, network-config',
    render: renderNoCloud,
  },
  {
    name: 'configdrive',
    description: 'OpenStack config drive (the config-2 disk): openstack/… and ec2/<version>/meta-data.json',
    render: renderConfigDrive,
  },
];

export function findFormat(name: string): Format | undefined {
  return FORMATS.find((f) => f.name === name);
}
