// The VM spec: what an operator writes (YAML), validated with zod. Types are inferred from the schema so the
// schema is the single source of truth. Cross-field checks (MAC uniqueness, gateways inside subnets, …) live in
// rules.ts; reading files and YAML lives in load.ts. This file must stay pure: no fs, no clock, no randomness.
import { z } from 'zod';

// RFC 1123 label: letters, digits, hyphen; no leading/trailing hyphen; 1..63 chars. No underscore: cloud-init
// passes the hostname to hostnamectl, which rejects it, and DHCP clients mangle it.
const RFC1123_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
export const hostnameSchema = z
  .string()
  .max(253, 'longer than 253 characters')
  .refine((h) => h.split('.').every((label) => RFC1123_LABEL.test(label)), {
    message: 'not an RFC 1123 hostname (letters, digits and hyphens; labels of 1-63 characters, no underscore)',
  });

// A VM name is also a directory name and part of unit names (vmmeta-sidecar@<name>.service), so it is stricter
// than a hostname: no dots, no slashes, lower-case.
export const vmNameSchema = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    'must be 1-63 lower-case letters, digits or hyphens, not starting or ending with a hyphen',
  );

export const uuidSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'not a UUID')
  // ds-identify and cloud-init's Ec2 datasource take a system UUID (== serial) starting with "ec2" as AWS, and
  // list Ec2 before OpenStack (cloud-init-client.md §3.2, smbios-and-hypervisor.md §1.3). The byte-swapped
  // form newer cloud-init also reads is a rule (rules.ts), since it needs the ids helper.
  .refine((u) => !u.toLowerCase().startsWith('ec2'), {
    message: 'starts with "ec2": cloud-init would take the VM for AWS',
  })
  .transform((u) => u.toLowerCase());

// Lower-case colon form, which is what cloud-init compares against (convert_net_json lower-cases MACs).
export const macSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/, 'not a MAC address (aa:bb:cc:dd:ee:ff)')
  .refine((m) => (parseInt(m.slice(0, 2), 16) & 1) === 0, {
    message: 'is a multicast MAC address (first octet is odd)',
  })
  .transform((m) => m.toLowerCase().replaceAll('-', ':'));

// Link ids become guest interface names in NoCloud's network-config (set-name), and Linux caps those at 15 bytes.
const linkIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/,
    'link id must be 1-15 letters, digits, "_", "." or "-" (a Linux interface name)',
  );
const mtuSchema = z.number().int().min(68, 'below 68 (the IPv4 minimum)').max(65535, 'above 65535');

export const sshKeySchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,254}$/, 'key name must be letters, digits, "_", ".", "@" or "-"'),
    key: z.string(),
  })
  .strict();

export const physicalLinkSchema = z
  .object({
    id: linkIdSchema,
    type: z.literal('physical'),
    mac: macSchema,
    mtu: mtuSchema.optional(),
  })
  .strict();

export const BOND_MODES = [
  '802.3ad',
  'balance-rr',
  'active-backup',
  'balance-xor',
  'broadcast',
  'balance-tlb',
  'balance-alb',
] as const;
const bondLinkSchema = z
  .object({
    id: linkIdSchema,
    type: z.literal('bond'),
    mac: macSchema,
    mtu: mtuSchema.optional(),
    mode: z.enum(BOND_MODES),
    members: z.array(linkIdSchema).min(1, 'a bond needs at least one member'),
    miimon: z.number().int().min(0).max(10000).optional(),
    xmitHashPolicy: z.enum(['layer2', 'layer2+3', 'layer3+4', 'encap2+3', 'encap3+4']).optional(),
  })
  .strict();

const vlanLinkSchema = z
  .object({
    id: linkIdSchema,
    type: z.literal('vlan'),
    mac: macSchema,
    mtu: mtuSchema.optional(),
    vlanId: z.number().int().min(1, 'VLAN id below 1').max(4094, 'VLAN id above 4094'),
    parent: linkIdSchema,
  })
  .strict();

export const linkSchema = z.discriminatedUnion('type', [physicalLinkSchema, bondLinkSchema, vlanLinkSchema]);

// Routes and addresses are CIDR strings here; rules.ts parses them (and reports malformed or overlapping ones).
const routeSchema = z.object({ to: z.string(), via: z.string(), metric: z.number().int().min(0).optional() }).strict();
const dnsListSchema = z.array(z.string()).max(16, 'more than 16 DNS servers');

const staticNetworkSchema = (type: 'ipv4' | 'ipv6') =>
  z
    .object({
      id: linkIdSchema.optional(),
      link: linkIdSchema,
      type: z.literal(type),
      address: z.string(),
      gateway: z.string().optional(),
      routes: z.array(routeSchema).default([]),
      dns: dnsListSchema.default([]),
    })
    .strict();

const dynamicNetworkSchema = (type: 'ipv4_dhcp' | 'ipv6_dhcp' | 'ipv6_slaac') =>
  z
    .object({
      id: linkIdSchema.optional(),
      link: linkIdSchema,
      type: z.literal(type),
      dns: dnsListSchema.default([]),
    })
    .strict();

export const networkSchema = z.discriminatedUnion('type', [
  staticNetworkSchema('ipv4'),
  staticNetworkSchema('ipv6'),
  dynamicNetworkSchema('ipv4_dhcp'),
  dynamicNetworkSchema('ipv6_dhcp'),
  dynamicNetworkSchema('ipv6_slaac'),
]);

export const networkConfigSchema = z
  .object({
    links: z.array(linkSchema).default([]),
    networks: z.array(networkSchema).default([]),
    dns: z
      .object({
        servers: dnsListSchema.default([]),
        search: z.array(hostnameSchema).max(6, 'more than 6 search domains (resolv.conf limit)').default([]),
      })
      .strict()
      .default({ servers: [], search: [] }),
  })
  .strict();

// Nova's device role tagging (meta_data.json "devices", openstack-metadata.md §6).
const deviceSchema = z
  .object({
    type: z.enum(['nic', 'disk']),
    bus: z.enum(['pci', 'usb', 'scsi', 'ide', 'xen', 'none']),
    address: z.string().max(64).default('none'),
    serial: z.string().max(64).optional(),
    path: z.string().max(255).optional(),
    mac: macSchema.optional(),
    vlan: z.number().int().min(1).max(4094).optional(),
    tags: z.array(z.string().min(1).max(60)).default([]),
  })
  .strict();

// A SMBIOS string: ds-identify compares exact bytes, and QEMU only knows ",," as an escape. Control characters
// would not survive sysfs reads (and newlines end ds-identify's `read`); a string not in NFC would not compare
// equal to the same text typed in the guest. 64 bytes is SMBIOS-friendly and far above anything cloud-init
// matches. The one rule, for the spec's fields here and for the values vmmeta generates (hypervisor/smbios.ts).
export const SMBIOS_MAX_BYTES = 64;

export function smbiosStringProblem(s: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) return 'contains a control character';
  const bytes = new TextEncoder().encode(s).length;
  if (bytes > SMBIOS_MAX_BYTES) return `is ${bytes} bytes long (at most ${SMBIOS_MAX_BYTES})`;
  if (s !== s.normalize('NFC')) return 'is not in Unicode NFC form (the guest compares bytes)';
  return undefined;
}

export const smbiosStringSchema = z
  .string()
  .max(SMBIOS_MAX_BYTES, `longer than ${SMBIOS_MAX_BYTES} characters`)
  .superRefine((s, ctx) => {
    const problem = s.length <= SMBIOS_MAX_BYTES ? smbiosStringProblem(s) : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const smbiosSchema = z
  .object({
    // openstack: present the VM as a Nova instance so ds-identify finds OpenStack. plain: leave product and
    // asset tag at the hypervisor defaults (a NoCloud-only or EC2-only VM); uuid and serial are still set.
    profile: z.enum(['openstack', 'plain']).default('openstack'),
    manufacturer: smbiosStringSchema.default('OpenStack Foundation'),
    product: smbiosStringSchema.optional(),
    version: smbiosStringSchema.default('vmmeta'),
    serial: smbiosStringSchema.optional(),
    family: smbiosStringSchema.default('Virtual Machine'),
    assetTag: smbiosStringSchema.optional(),
    chassisManufacturer: smbiosStringSchema.optional(),
  })
  .strict();

export const datasourceSchema = z
  .object({
    // cd: attach the cidata ISO (NoCloud wins while it is there: today's behaviour, the compatible default).
    // none: suppress the CD so the OpenStack (or EC2) metadata service wins.
    // net: no CD; the SMBIOS serial says ds=nocloud-net;s=<sidecar>/nocloud/ (ds=nocloud;s=… from cloud-init 24.1)
    // and the sidecar serves the seed.
    nocloud: z.enum(['cd', 'none', 'net']).default('cd'),
    // Also build a config-2 ISO (for hosts where the guest cannot reach a sidecar).
    configDrive: z.boolean().default(false),
  })
  .strict();

export const imdsSchema = z
  .object({
    // optional: IMDSv1 and v2 both work (cloud-init off AWS never sends a token). required: v2 only.
    tokens: z.enum(['optional', 'required']).default('optional'),
  })
  .strict();

export const guestSchema = z
  .object({
    arch: z.enum(['x86_64', 'aarch64', 'ppc64le', 's390x', 'riscv64']).default('x86_64'),
    // The guest's cloud-init generation: ds-identify policy and stage behaviour differ (cloud-init-client.md §9).
    cloudInit: z.enum(['20.4', '22.4', '25.1', '26.2']).default('22.4'),
  })
  .strict();

export const sidecarSchema = z
  .object({
    // "unix" (default): a 0600 socket in the VM's state folder, reached by QEMU's guestfwd cmd: connector; only
    // the state's owner can connect. "127.0.0.1:0": loopback on a free port, reachable by EVERY local user, so it
    // is never a default (README "Security"). "ADDR:PORT": e.g. 169.254.169.254:80 on the VM's bridge (tap mode).
    listen: z.array(z.string()).min(1).default(['unix']),
    // 0.0.0.0 / [::] in listen are refused unless this says so (spec/listen.ts).
    allowAllInterfaces: z.boolean().default(false),
    // How the guest reaches its sidecar. 'connector' (default): a restricted QEMU user-mode NIC whose guestfwd
    // dials the socket. 'tap': the VM's own tap NIC (bridged or routed); vmmeta listens on the metadata
    // addresses at tap.port and installs this VM's nftables rules (docs/sidecar.md "Tap mode").
    path: z.enum(['connector', 'tap']).default('connector'),
    // Which process serves the VM. 'process' (default): its own `vmmeta serve <vm>`. 'host': the state root's one
    // `vmmeta host` process, which gives each VM its own listeners bound to its own documents (docs/sidecar.md
    // "Host mode"); for memory-tight hosts, where a Node process per VM costs ~10 MB of PSS each. Absent means
    // process, and stays absent in the resolved VM, so existing VMs keep their spec hash.
    mode: z.enum(['process', 'host']).optional(),
    tap: z
      .object({
        device: z.string(), // checked in rules.ts (an interface name), so the message names the field
        bridge: z.string().optional(), // absent: a routed tap
        port: z.number().int().min(1).max(65535).optional(), // chosen once at create and recorded when absent
      })
      .strict()
      .optional(),
  })
  .strict();

// Run-time NIC hot-plug (vmmeta nic add/remove). Absent: nothing changes in what the guest or QEMU sees beyond the
// QMP socket every VM gets.
export const hotplugSchema = z
  .object({
    // Vendor data `updates: {network: {when: [boot-new-instance, hotplug]}}`: cloud-init's OpenStack datasource
    // (21.3+, install module 21.4+) then installs its udev hook and configures a hot-plugged NIC (cc_install_hotplug).
    network: z.boolean().default(false),
    // The QEMU machine the operator boots: q35 gets spare pcie-root-ports (its root bus does not hot-plug); pc
    // (i440fx) hot-plugs on its root bus through ACPI.
    machine: z.enum(['pc', 'q35']).default('pc'),
    rootPorts: z.number().int().min(0).max(16, 'more than 16 spare root ports').optional(),
  })
  .strict();

// Nova: metadata items are key 1..255 and value 0..255 characters, 128 items by default quota.
const metaSchema = z
  .record(
    z.string().min(1, 'empty meta key').max(255, 'meta key longer than 255 characters'),
    z.string().max(255, 'meta value longer than 255 characters'),
  )
  .refine((m) => Object.keys(m).length <= 128, { message: 'more than 128 meta items (Nova quota)' });

export const SpecSchema = z
  .object({
    name: vmNameSchema.describe('VM name: state folder, sidecar unit name, meta_data.json name; default hostname'),
    uuid: uuidSchema
      .optional()
      .describe('SMBIOS/libvirt UUID and meta_data.json uuid; generated once when absent; never starting "ec2"'),
    hostname: hostnameSchema.optional().describe('guest hostname (RFC 1123); defaults to name'),
    instanceId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'instance id must be letters, digits, ".", "_", ":" or "-"')
      .optional()
      .describe('instance id for every datasource; defaults to uuid (NoCloud) and "i-" + 17 hex digits of it (EC2)'),
    availabilityZone: z
      .string()
      .min(1)
      .max(255)
      .default('nova')
      .describe('meta_data.json availability_zone, EC2 placement/availability-zone'),
    projectId: z.string().max(255).optional().describe('meta_data.json project_id'),
    launchIndex: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(0)
      .describe('meta_data.json launch_index, EC2 ami-launch-index'),
    sshKeys: z
      .array(sshKeySchema)
      .default([])
      .describe('named OpenSSH public keys (meta_data.json public_keys, EC2 public-keys)'),
    userData: z
      .string()
      .optional()
      .describe('inline user-data, sent as UTF-8 bytes (one of userData, userDataFile, userDataBase64)'),
    userDataFile: z
      .string()
      .min(1)
      .optional()
      .describe('user-data file read as raw bytes, relative to the spec folder (gzip and MIME pass untouched)'),
    userDataBase64: z.string().optional().describe('user-data bytes as base64'),
    vendorData: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('vendor_data.json object; its "cloud-init" key is vendor-data for cloud-init'),
    meta: metaSchema.default({}).describe('Nova metadata items: string values, at most 128'),
    devices: z.array(deviceSchema).default([]).describe('Nova device role tags (meta_data.json devices)'),
    adminPassword: z.string().min(1).max(255).optional().describe('meta_data.json admin_pass (config drive only)'),
    randomSeed: z.string().optional().describe('base64 random seed; 512 random bytes generated once when absent'),
    network: networkConfigSchema
      .optional()
      .describe('links (physical, bond, vlan), networks (static or dynamic addresses) and DNS, as network_data.json'),
    smbios: smbiosSchema
      .default({
        profile: 'openstack',
        manufacturer: 'OpenStack Foundation',
        version: 'vmmeta',
        family: 'Virtual Machine',
      })
      .describe('SMBIOS strings the guest sees; profile openstack makes ds-identify find OpenStack'),
    datasource: datasourceSchema
      .default({ nocloud: 'cd', configDrive: false })
      .describe('NoCloud CD or seed URL, and an optional config drive'),
    imds: imdsSchema.default({ tokens: 'optional' }).describe('EC2 metadata service settings (IMDSv2 tokens)'),
    guest: guestSchema
      .default({ arch: 'x86_64', cloudInit: '22.4' })
      .describe('guest architecture and cloud-init generation'),
    sidecar: sidecarSchema
      .default({ listen: ['unix'], allowAllInterfaces: false, path: 'connector' })
      .describe('where the metadata sidecar listens'),
    hotplug: hotplugSchema
      .optional()
      .describe(
        "NIC hot-plug: turn on cloud-init's network hotplug (vendor data), the machine type (q35 gets spare root ports) and their count",
      ),
  })
  .strict();

export type SpecInput = z.input<typeof SpecSchema>;
export type Spec = z.output<typeof SpecSchema>;
export type Link = z.output<typeof linkSchema>;
export type Network = z.output<typeof networkSchema>;
export type NetworkConfig = z.output<typeof networkConfigSchema>;
export type Device = z.output<typeof deviceSchema>;
export type SshKey = z.output<typeof sshKeySchema>;
export type SmbiosSettings = z.output<typeof smbiosSchema>;

// The spec after load + normalize: every generated or defaulted value filled in, user-data as exact bytes.
// Renderers take only this; they never generate anything themselves.
export interface ResolvedVm extends Omit<
  Spec,
  'uuid' | 'hostname' | 'instanceId' | 'randomSeed' | 'userData' | 'userDataFile' | 'userDataBase64' | 'network'
> {
  uuid: string;
  hostname: string;
  instanceId: string; // NoCloud's instance-id (OpenStack's is the uuid)
  ec2InstanceId: string; // EC2's instance-id: "i-…" unless the spec names one
  randomSeed: string; // base64 of 512 bytes, as Nova sends it
  userData?: Uint8Array;
  network: NetworkConfig; // empty links/networks when the spec has none
}
