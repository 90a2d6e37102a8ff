// The specs the cloud-init guests boot with, and the per-generation behaviour the tests pin (observed on
// these machines; see docs/guests.md). A change in a client shows up as a failing pin, not a silent drift.
import { SUITE_CLOUD_INIT, type Suite } from '../../helpers/cloud-init.js';

export const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINH3akpMqRH3qehL8mfiGrOE6UE5CRtB1AqhlQVU638q ops@example';

// A second NIC described only in network_data.json (and NoCloud's network-config): a static address on its
// own restricted user network, so it reaches nothing.
export const SECOND_NIC = {
  mac: '52:54:00:c1:00:02',
  cidr: '10.99.0.10/24',
  args: [
    '-netdev',
    'user,id=extra1,net=10.99.0.0/24,restrict=on',
    '-device',
    'virtio-net-pci,netdev=extra1,mac=52:54:00:c1:00:02',
  ],
};

const UUIDS: Record<Suite, string> = {
  bullseye: '5a0b3c1d-2e4f-4a6b-8c7d-9e0f1a2b3c01',
  bookworm: '5a0b3c1d-2e4f-4a6b-8c7d-9e0f1a2b3c02',
  trixie: '5a0b3c1d-2e4f-4a6b-8c7d-9e0f1a2b3c03',
  sid: '5a0b3c1d-2e4f-4a6b-8c7d-9e0f1a2b3c04',
};

export interface GuestSpec {
  name: string;
  hostname: string;
  network: { links: Array<{ id: string; type: 'physical'; mac: string }>; networks: unknown[] };
  [k: string]: unknown;
}

// The OpenStack-shaped guest, per way of handing it its documents: the cidata CD, the metadata service alone
// (CD suppressed), the nocloud seed URL in the SMBIOS serial, or a config-2 drive.
const VARIANTS = { cd: 0, suppressed: 1, net: 2, drive: 3 } as const;
type Variant = keyof typeof VARIANTS;

export function guestSpec(suite: Suite, variant: Variant): GuestSpec {
  return {
    name: `ci-${suite}-${variant}`,
    // One uuid per VM: create refuses a uuid another VM in the root has (libvirt and cloud-init would confuse them).
    uuid: UUIDS[suite].replace(/3c0(\d)$/, `3c${VARIANTS[variant]}$1`),
    hostname: `vmmeta-${suite}-${variant}`,
    sshKeys: [{ name: 'ops', key: KEY }],
    guest: { cloudInit: SUITE_CLOUD_INIT[suite] },
    network: {
      links: [
        { id: 'eth0', type: 'physical', mac: '52:54:00:c1:00:01' },
        { id: 'eth1', type: 'physical', mac: SECOND_NIC.mac },
      ],
      networks: [
        { link: 'eth0', type: 'ipv4_dhcp' },
        { link: 'eth1', type: 'ipv4', address: SECOND_NIC.cidr },
      ],
    },
  };
}

// As templates/examples/ec2-only.yaml: plain SMBIOS, no CD, the metadata service only.
export function ec2OnlySpec(suite: Suite): GuestSpec {
  return {
    name: `ci-${suite}-ec2`,
    hostname: `vmmeta-${suite}-ec2`,
    sshKeys: [{ name: 'ops', key: KEY }],
    smbios: { profile: 'plain' },
    datasource: { nocloud: 'none' },
    guest: { cloudInit: SUITE_CLOUD_INIT[suite] },
    network: {
      links: [{ id: 'eth0', type: 'physical', mac: '52:54:00:ec:00:01' }],
      networks: [{ link: 'eth0', type: 'ipv4_dhcp' }],
    },
  };
}

export interface Pinned {
  nocloudDetail: string; // the bracketed part after DataSourceNoCloud
  // datasource.nocloud: net. Before 24.1 NoCloudNet fetches no network-config: the fallback (DHCP on the first NIC)
  // stays, the second NIC is left unconfigured, and init-network re-runs ifup on the fallback NIC, which ifupdown
  // answers with a line cloud-init logs as a WARNING. Both are pinned, so a change in either fails the test.
  nocloudNet: { detail: string; secondNic: boolean; complaints: RegExp[] };
  renderer: 'eni' | 'netplan'; // how cloud-init wrote the network configuration
  vendorData2: boolean; // whether an OpenStack boot asks for vendor_data2.json
  ec2Only: {
    enabled: string;
    cloudId: RegExp;
    datasource: string | null;
    hostname: string;
    ipv4: string[];
    requests: number;
  };
}

const IFUP_AGAIN =
  /^WARNING: Running \['ifup', '\w+'\] resulted in stderr output: ifup: interface \w+ already configured$/;

// Nothing found: ds-identify disables cloud-init; the NIC stays down and the sidecar gets no request.
const DISABLED = { enabled: 'disabled', datasource: null, hostname: 'unconfigured-image', ipv4: [], requests: 0 };

export const PINNED: Record<Suite, Pinned> = {
  // 20.4's cloud-id has no "disabled" answer: it fails on the missing instance-data.json.
  bullseye: {
    nocloudNet: {
      detail: '[seed=dmi,http://169.254.169.254/nocloud/][dsmode=net]',
      secondNic: false,
      complaints: [IFUP_AGAIN],
    },
    nocloudDetail: '[seed=/dev/sr0][dsmode=net]',
    renderer: 'eni',
    vendorData2: false,
    ec2Only: { ...DISABLED, cloudId: /^ERROR: File not found '\/run\/cloud-init\/instance-data\.json'/ },
  },
  bookworm: {
    nocloudNet: {
      detail: '[seed=dmi,http://169.254.169.254/nocloud/][dsmode=net]',
      secondNic: false,
      complaints: [IFUP_AGAIN],
    },
    nocloudDetail: '[seed=/dev/sr0][dsmode=net]',
    renderer: 'eni',
    vendorData2: true,
    ec2Only: { ...DISABLED, cloudId: /^disabled$/ },
  },
  trixie: {
    nocloudNet: { detail: '[seed=dmi,http://169.254.169.254/nocloud/]', secondNic: true, complaints: [] },
    nocloudDetail: '[seed=/dev/sr0]',
    renderer: 'netplan',
    vendorData2: true,
    ec2Only: { ...DISABLED, cloudId: /^disabled$/ },
  },
  sid: {
    nocloudNet: { detail: '[seed=dmi,http://169.254.169.254/nocloud/]', secondNic: true, complaints: [] },
    nocloudDetail: '[seed=/dev/sr0]',
    renderer: 'netplan',
    vendorData2: true,
    ec2Only: { ...DISABLED, cloudId: /^disabled$/ },
  },
};

// What the network configuration cloud-init wrote says about the second NIC, per renderer.
export function staticStanza(renderer: Pinned['renderer'], ifname: string): RegExp {
  return renderer === 'eni'
    ? new RegExp(`iface ${ifname} inet static\\n\\s+address ${SECOND_NIC.cidr.replace(/\./g, '\\.')}`)
    : new RegExp(
        `${ifname}:\\n\\s+match:\\n\\s+macaddress: "${SECOND_NIC.mac}"\\n\\s+addresses:\\n\\s+- "${SECOND_NIC.cidr.replace(/\./g, '\\.')}"`,
      );
}
