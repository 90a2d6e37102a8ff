// What cloud-init does with a hot-plugged NIC, per generation, and the vendor data that turns it on. Pure: the
// facts come from cloud-init's code (cloudinit/config/cc_install_hotplug.py, cmd/devel/hotplug_hook.py,
// sources/DataSourceOpenStack.py supported_update_events) and the guest tests (test/guest/hotplug-guest.test.ts).
import type { ResolvedVm, Spec } from './schema.js';
import type { SpecIssue } from './issues.js';

// OpenStack's datasource lists EventType.HOTPLUG from 21.3 and cc_install_hotplug exists from 21.4: 20.4 (bullseye)
// neither installs the udev hook nor handles an event. Remove events are ignored from 25.2 on.
export const HOTPLUG_GENERATIONS: Record<ResolvedVm['guest']['cloudInit'], { acts: boolean; note: string }> = {
  '20.4': {
    acts: false,
    note: 'cloud-init 20.4 has no network hotplug (OpenStack supports it from 21.3): a hot-plugged NIC stays unconfigured until the VM is re-provisioned',
  },
  '22.4': {
    acts: true,
    note: 'cloud-init 22.4 configures a hot-plugged NIC from network_data.json once cloud-init has finished booting',
  },
  '25.1': {
    acts: true,
    note: 'cloud-init 25.1 configures a hot-plugged NIC from network_data.json once cloud-config.target is reached',
  },
  '26.2': {
    acts: true,
    note: 'cloud-init 26.2 configures a hot-plugged NIC from network_data.json once cloud-config.target is reached (remove events are ignored, as from 25.2)',
  },
};

// cloud-init merges vendor data into the config the hook reads (stages.update_event_enabled). boot-new-instance
// is kept: a `when` list replaces the datasource's defaults rather than adding to them.
export const HOTPLUG_VENDOR_DATA = '#cloud-config\nupdates:\n  network:\n    when: [boot-new-instance, hotplug]\n';

// The vendor data of a VM whose spec turns hotplug on: the cloud-config above as vendor_data.json's "cloud-init".
export function withHotplugVendorData(
  vendorData: Record<string, unknown> | undefined,
  spec: Pick<Spec, 'hotplug'>,
): Record<string, unknown> | undefined {
  if (!spec.hotplug?.network) return vendorData;
  return { ...(vendorData ?? {}), 'cloud-init': HOTPLUG_VENDOR_DATA };
}

export function hotplugIssues(spec: Spec): SpecIssue[] {
  const h = spec.hotplug;
  if (!h) return [];
  const out: SpecIssue[] = [];
  if (h.network && spec.vendorData?.['cloud-init'] !== undefined) {
    out.push({
      path: 'hotplug.network',
      message:
        'vendorData already has a "cloud-init" entry: put `updates: {network: {when: [boot-new-instance, hotplug]}}` into it instead',
    });
  }
  if (h.machine !== 'q35' && h.rootPorts !== undefined && h.rootPorts > 0) {
    out.push({ path: 'hotplug.rootPorts', message: 'root ports are for machine q35 (pc hot-plugs on its root bus)' });
  }
  return out;
}

export interface HotplugSummary {
  network: boolean; // vendor data turns cloud-init's hotplug on
  machine: 'pc' | 'q35';
  rootPorts: number;
  acts: boolean; // the guest's generation acts on a hot-plugged NIC
  note: string;
}

export function hotplugSummary(vm: Pick<ResolvedVm, 'hotplug' | 'guest'>, defaultRootPorts: number): HotplugSummary {
  const machine = vm.hotplug?.machine ?? 'pc';
  const network = vm.hotplug?.network ?? false;
  const gen = HOTPLUG_GENERATIONS[vm.guest.cloudInit];
  const note = network
    ? gen.note
    : `cloud-init does not configure a hot-plugged NIC unless hotplug.network is true (cloud-init 22.4 and later act on it, 20.4 never does)`;
  return {
    network,
    machine,
    rootPorts: machine === 'q35' ? (vm.hotplug?.rootPorts ?? defaultRootPorts) : 0,
    acts: network && gen.acts,
    note,
  };
}
