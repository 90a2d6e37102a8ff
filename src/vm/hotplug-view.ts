// What inspect and explain say about NIC hot-plug: whether the guest's generation acts on it, the NICs plugged
// in by `vmmeta nic add`, and, per NIC, whether the guest fetched network_data.json after the event (from the
// sidecar's access log: cloud-init's hotplug hook re-reads the whole metadata service, then looks for the MAC).
// Pure.
import type { ResolvedVm } from '../spec/schema.js';
import { hotplugSummary, type HotplugSummary } from '../spec/hotplug.js';
import { DEFAULT_ROOT_PORTS } from '../hypervisor/qemu-args.js';
import type { AccessRecord } from './access-log.js';
import type { HotNic } from './overrides.js';
import type { Warning } from './inspect-warnings.js';

export interface HotNicView {
  id: string;
  mac: string;
  addresses: string[];
  addedAt: string;
  port: number | null;
  fetchedAfter: string | null; // time of the guest's first network_data.json request after addedAt
}

export interface HotplugView extends HotplugSummary {
  nics: HotNicView[];
}

const NETWORK_DATA = /^\/openstack\/[^/]+\/network_data\.json$/;

export function hotplugView(
  vm: Pick<ResolvedVm, 'hotplug' | 'guest'>,
  nics: readonly HotNic[],
  guestRequests: readonly AccessRecord[],
): HotplugView {
  return {
    ...hotplugSummary(vm, DEFAULT_ROOT_PORTS),
    nics: nics.map((n) => {
      const after = guestRequests.find(
        (r) =>
          NETWORK_DATA.test(r.path.split('?')[0]!) && r.status === 200 && Date.parse(r.time) >= Date.parse(n.addedAt),
      );
      return {
        id: n.link.id,
        mac: n.link.mac,
        addresses: n.networks.map((x) => ('address' in x ? x.address : x.type)),
        addedAt: n.addedAt,
        port: n.port,
        fetchedAfter: after?.time ?? null,
      };
    }),
  };
}

// cloud-init's hook gives up ~49 s after the event (retries of 1+3+5+10+30 s); a minute without a fetch means
// the guest did not act on it.
export const FETCH_GRACE_MS = 60_000;

export function hotplugWarnings(view: HotplugView, vmName: string, now: number): Warning[] {
  return view.nics
    .filter((n) => n.fetchedAfter === null && now - Date.parse(n.addedAt) > FETCH_GRACE_MS)
    .map((n) => ({
      code: 'hotplug-not-fetched',
      message: `the guest has not fetched network_data.json since ${n.id} was plugged in (${n.addedAt}): it has not configured it`,
      hint: view.acts
        ? `look at /var/log/cloud-init.log in the guest (hotplug-hook lines); vmmeta logs ${vmName}`
        : view.note,
    }));
}
