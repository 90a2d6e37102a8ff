// The one place that turns a VM's outputs into what the guest will see at boot, for predictDatasource: create,
// explain and inspect must agree on it.
import type { ResolvedVm } from '../spec/schema.js';
import type { Smbios } from '../hypervisor/smbios.js';
import type { VerdictInput } from '../guest/verdict.js';
import type { VmOutputs } from '../state/store.js';

export function verdictInput(
  vm: ResolvedVm,
  smbios: Smbios,
  outputs: VmOutputs,
  live: { sidecar: boolean },
): VerdictInput {
  return {
    arch: vm.guest.arch,
    cloudInit: vm.guest.cloudInit,
    dmi: {
      productName: smbios.type1.product ?? '',
      assetTag: smbios.type3.asset ?? '',
      serial: smbios.type1.serial ?? '',
      uuid: smbios.type1.uuid,
      ...(smbios.type1.manufacturer ? { sysVendor: smbios.type1.manufacturer } : {}),
    },
    disks: { cidata: outputs.cdrom !== null, config2: outputs.configDrive !== null },
    // The sidecar serves the OpenStack, EC2 and NoCloud trees at once.
    sidecar: { openstack: live.sidecar, ec2: live.sidecar, nocloud: live.sidecar && outputs.seedUrl !== null },
  };
}
