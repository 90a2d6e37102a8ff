// ResolvedVm objects built by hand, so hypervisor tests do not depend on the spec loader.
import type { ResolvedVm } from '../../../src/spec/schema.js';
import { ec2InstanceIdFor } from '../../../src/spec/ids.js';

export const UUID = '3bd1a0c4-5f3e-4b8e-9a51-0f6d6f1c2a10';

type Overrides = Partial<Omit<ResolvedVm, 'smbios' | 'datasource' | 'guest'>> & {
  smbios?: Partial<ResolvedVm['smbios']>;
  datasource?: Partial<ResolvedVm['datasource']>;
  guest?: Partial<ResolvedVm['guest']>;
};

export function makeVm(o: Overrides = {}): ResolvedVm {
  const { smbios, datasource, guest, ...rest } = o;
  return {
    name: 'vm1',
    uuid: UUID,
    hostname: 'vm1',
    instanceId: UUID,
    ec2InstanceId: ec2InstanceIdFor(UUID),
    randomSeed: 'AAAA',
    availabilityZone: 'nova',
    launchIndex: 0,
    sshKeys: [],
    meta: {},
    devices: [],
    network: { links: [], networks: [], dns: { servers: [], search: [] } },
    imds: { tokens: 'optional' },
    sidecar: { listen: ['unix', '127.0.0.1:0'], allowAllInterfaces: false, path: 'connector' },
    ...rest,
    smbios: {
      profile: 'openstack',
      manufacturer: 'OpenStack Foundation',
      version: 'vmmeta',
      family: 'Virtual Machine',
      ...smbios,
    },
    datasource: { nocloud: 'cd', configDrive: false, ...datasource },
    guest: { arch: 'x86_64', cloudInit: '22.4', ...guest },
  };
}
