// The SMBIOS strings a VM shows its guest. cloud-init decides on them: ds-identify's dscheck_OpenStack matches
// /sys/class/dmi/id/product_name or chassis_asset_tag exactly (shell `case`, case-sensitive, after `read` trims
// blanks), DataSourceNoCloud parses product_serial like a kernel command line (`ds=nocloud-net;s=<url>`), and
// DataSourceOpenStack.check_instance_id compares product_uuid with the cached instance id on every reboot.
import { smbiosStringProblem, type ResolvedVm } from '../spec/schema.js';
import { OPENSTACK_PRODUCT_NAMES } from '../guest/ds-identify-model.js';
import { UserError, EXIT } from '../errors.js';

export interface Smbios {
  type1: { manufacturer?: string; product?: string; version?: string; serial?: string; uuid: string; family?: string };
  type3: { manufacturer?: string; asset?: string };
}

// What Nova's libvirt driver sets (nova/virt/libvirt/driver.py _get_guest_config_sysinfo), plus the chassis asset
// tag, which ds-identify also accepts and which survives tools that rewrite the product name.
export const SMBIOS_DEFAULTS = {
  manufacturer: 'OpenStack Foundation',
  product: OPENSTACK_PRODUCT_NAMES[0],
  version: 'vmmeta',
  family: 'Virtual Machine',
  asset: OPENSTACK_PRODUCT_NAMES[0],
} as const;

// SMBIOS strings are NUL-terminated in the table, Linux's dmi_string_nosave() turns an all-blank string into
// "empty", and ds-identify reads them with `read`, which stops at a newline. The spec's fields are checked by its
// schema; the values vmmeta makes up (the nocloud-net serial) go through the same rule here.
export function checkSmbiosValue(field: string, value: string): string {
  const problem = smbiosStringProblem(value);
  if (problem) throw invalidValue(field, value, problem);
  return value;
}

function invalidValue(field: string, value: string, why: string): UserError {
  return new UserError(`SMBIOS ${field} ${JSON.stringify(value)} ${why}`, {
    exitCode: EXIT.invalid,
    hint: 'fix smbios.* in the spec',
  });
}

// `ds=<name>;s=<url>`: DataSourceNoCloudNet fetches <url>meta-data, user-data, vendor-data (and network-config
// on newer clients) in init-network; ds-identify finds NoCloud from any serial starting `ds=nocloud`. The name
// follows the generation, as each real client reads it (test/client/dsidentify-nocloud-net-stages.test.ts):
// cloud-init 24.1 deprecated `nocloud-net` (a DEPRECATED log line, `cloud-init status` exits 2) and reads
// `ds=nocloud` with an http seed in init-network; before 24.1 that form means dsmode=local, and init-network
// then exits without running ("datasource … in local mode"), so 20.4 and 22.4 keep `nocloud-net`.
export function nocloudSerial(seedUrl: string, cloudInit: ResolvedVm['guest']['cloudInit']): string {
  if (!/^https?:\/\/[^\s;]+\/$/.test(seedUrl)) {
    throw new UserError(
      `NoCloud seed URL ${JSON.stringify(seedUrl)} must be http(s)://…/ with a trailing slash and no ";" or blanks`,
      { exitCode: EXIT.invalid },
    );
  }
  return `${nocloudSeedName(cloudInit)};s=${seedUrl}`;
}

export function nocloudSeedName(cloudInit: ResolvedVm['guest']['cloudInit']): 'ds=nocloud' | 'ds=nocloud-net' {
  return cloudInit === '20.4' || cloudInit === '22.4' ? 'ds=nocloud-net' : 'ds=nocloud';
}

// Profile `openstack` presents a Nova instance (product and asset tag `OpenStack Nova` unless the spec picks
// `OpenStack Compute` or other text). Profile `plain` sets only uuid and serial plus what the spec sets itself;
// because the schema fills manufacturer/version/family with the Nova defaults, a plain VM treats those default
// values as "not set" so it does not claim to be made by the OpenStack Foundation.
//
// datasource.nocloud = `net`: the serial carries the seed URL, and the OpenStack product and asset tag are not
// defaulted. With both present ds-identify writes [ NoCloud, OpenStack, None ], but NoCloud's local stage cannot use
// an http seed, so OpenStackLocal would win in init-local before DataSourceNoCloudNet gets its turn in
// init-network: the operator asked for NoCloud, so only an explicit smbios.product/assetTag brings OpenStack back.
export function resolveSmbios(vm: ResolvedVm, opts: { seedUrl?: string } = {}): Smbios {
  const s = vm.smbios;
  const plain = s.profile === 'plain';
  const nocloudNet = vm.datasource.nocloud === 'net';
  if (nocloudNet && !opts.seedUrl) {
    throw new UserError('datasource.nocloud is "net" but no seed URL was given for the SMBIOS serial', {
      exitCode: EXIT.invalid,
    });
  }
  const explicit = (value: string | undefined, schemaDefault: string): string | undefined =>
    plain && value === schemaDefault ? undefined : value;
  const serial = nocloudNet ? nocloudSerial(opts.seedUrl as string, vm.guest.cloudInit) : (s.serial ?? vm.uuid);
  if (nocloudNet && s.serial !== undefined) {
    throw new UserError(
      'smbios.serial cannot be set when datasource.nocloud is "net" (the serial carries the seed URL)',
      { exitCode: EXIT.invalid },
    );
  }
  const novaLook = !plain && !nocloudNet;
  const type1 = dropUndefined({
    manufacturer: explicit(s.manufacturer, SMBIOS_DEFAULTS.manufacturer),
    product: s.product ?? (novaLook ? SMBIOS_DEFAULTS.product : undefined),
    version: explicit(s.version, SMBIOS_DEFAULTS.version),
    serial,
    uuid: vm.uuid,
    family: explicit(s.family, SMBIOS_DEFAULTS.family),
  });
  const type3 = dropUndefined({
    manufacturer: s.chassisManufacturer,
    asset: s.assetTag ?? (novaLook ? SMBIOS_DEFAULTS.asset : undefined),
  });
  for (const [k, v] of Object.entries(type1)) checkSmbiosValue(`type1.${k}`, v as string);
  for (const [k, v] of Object.entries(type3)) checkSmbiosValue(`type3.${k}`, v as string);
  return { type1: type1 as Smbios['type1'], type3 };
}

function dropUndefined<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}

// QEMU splits option values on "," only; a literal comma is written ",," (qemu-options: "-smbios"). Nothing else
// is special: quotes reach the guest as quotes, so never add any.
export function qemuOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

// Field order follows QEMU's documentation, so golden files stay readable.
const TYPE1_FIELDS = ['manufacturer', 'product', 'version', 'serial', 'uuid', 'family'] as const;
const TYPE3_FIELDS = ['manufacturer', 'asset'] as const;

export function smbiosArgs(s: Smbios): string[] {
  const args = [
    '-smbios',
    option(
      'type=1',
      TYPE1_FIELDS.map((k) => [k, s.type1[k]]),
    ),
  ];
  const chassis = TYPE3_FIELDS.map((k) => [k, s.type3[k]] as const).filter(([, v]) => v !== undefined);
  if (chassis.length) args.push('-smbios', option('type=3', chassis));
  return args;
}

function option(head: string, fields: ReadonlyArray<readonly [string, string | undefined]>): string {
  const parts = [head];
  for (const [k, v] of fields) {
    if (v === undefined) continue;
    checkSmbiosValue(k, v);
    parts.push(`${k}=${qemuOptionValue(v)}`);
  }
  return parts.join(',');
}

// smbios.txt: what the guest will read, one sysfs file per line, for people and for `explain`.
export function smbiosText(s: Smbios): string {
  const rows: Array<[string, string | undefined]> = [
    ['sys_vendor', s.type1.manufacturer],
    ['product_name', s.type1.product],
    ['product_version', s.type1.version],
    ['product_serial', s.type1.serial],
    ['product_uuid', s.type1.uuid],
    ['product_family', s.type1.family],
    ['chassis_vendor', s.type3.manufacturer],
    ['chassis_asset_tag', s.type3.asset],
  ];
  return rows
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
}
