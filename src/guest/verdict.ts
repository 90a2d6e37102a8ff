// Which datasource will cloud-init pick? A pure model of the two decisions a guest makes: ds-identify (a systemd
// generator) writes datasource_list, then cloud-init tries that list in init-local (datasources needing only the
// filesystem) and, if none claimed the instance, again in init-network (sources/__init__.py find_source).
import {
  runDsIdentifyModel,
  openstackAssetTags,
  openstackDmiMatch,
  ec2Platform,
  isX86,
  atLeast,
  GENERATIONS,
} from './ds-identify-model.js';
import type { CloudInitGeneration, DmiInput, DsIdentifyResult } from './ds-identify-model.js';
import { classifySerialSeed } from './nocloud-serial.js';

export type { CloudInitGeneration, DmiInput, DsIdentifyResult, Policy } from './ds-identify-model.js';

export interface VerdictInput {
  arch: string;
  cloudInit: CloudInitGeneration;
  dmi: DmiInput;
  disks: { cidata: boolean; config2: boolean }; // cidata: an iso9660/vfat volume labelled cidata holding user-data and meta-data
  sidecar: { openstack: boolean; ec2: boolean; nocloud?: boolean }; // what answers at 169.254.169.254 (nocloud: the seed URL)
  datasourceListInImage?: string[];
}

// Winner names are cloud-init's class names without "DataSource": NoCloud, NoCloudNet, ConfigDrive,
// OpenStackLocal, OpenStack, Ec2Local, Ec2, None. null: cloud-init is disabled for this boot.
export interface Verdict {
  dsIdentify: DsIdentifyResult;
  winner: string | null;
  reasons: string[];
  warnings: string[];
  // The same VM seen by every generation, so explain/inspect can say where versions differ.
  byGeneration: Record<CloudInitGeneration, { list: string[] | null; rc: 0 | 1; winner: string | null }>;
}

// settings.py CFG_BUILTIN datasource_list, used only when ds-identify writes none; only the relative order of
// the datasources vmmeta can trigger matters (NoCloud, ConfigDrive … OpenStack … Ec2 … None in all four).
const PYTHON_DEFAULT_ORDER = ['NoCloud', 'ConfigDrive', 'OpenStack', 'Ec2', 'None'];

const GENERATION_NAME: Record<CloudInitGeneration, string> = {
  '20.4': 'cloud-init 20.4 (Debian 11 bullseye)',
  '22.4': 'cloud-init 22.4 (Debian 12 bookworm)',
  '25.1': 'cloud-init 25.1 (Debian 13 trixie)',
  '26.2': 'cloud-init 26.2 (Debian sid)',
};

export function predictDatasource(input: VerdictInput): Verdict {
  const one = predictOne(input);
  const byGeneration = {} as Verdict['byGeneration'];
  for (const gen of GENERATIONS) {
    const v = gen === input.cloudInit ? one : predictOne({ ...input, cloudInit: gen });
    byGeneration[gen] = { list: v.dsIdentify.list, rc: v.dsIdentify.rc, winner: v.winner };
    if (gen !== input.cloudInit && v.winner !== one.winner) {
      one.warnings.push(
        `With ${GENERATION_NAME[gen]} the outcome differs: ${v.winner === null ? 'cloud-init is disabled' : `${v.winner} wins`}.`,
      );
    }
  }
  return { ...one, byGeneration };
}

function predictOne(input: VerdictInput): Omit<Verdict, 'byGeneration'> {
  const reasons: string[] = [];
  const warnings: string[] = [];
  const gen = input.cloudInit;
  const di = runDsIdentifyModel(input);
  const p = di.policy;
  reasons.push(
    `${GENERATION_NAME[gen]} on ${input.arch}: ds-identify policy found=${p.found},maybe=${p.maybe},notfound=${p.notfound}.`,
  );
  explainChecks(input, di, reasons);

  const seed = classifySerialSeed(input.dmi.serial, input.cloudInit);
  const nocloudNet = seed !== null;
  if (seed === 'deprecated')
    warnings.push(
      `The serial names the datasource nocloud-net, deprecated since cloud-init 24.1: ${GENERATION_NAME[gen]} logs DEPRECATED and \`cloud-init status\` exits 2; ds=nocloud;s=<url> is read the same way from 24.1 on.`,
    );
  if (seed === 'local-mode')
    warnings.push(
      `${GENERATION_NAME[gen]} reads ds=nocloud with an http seed as dsmode=local: DataSourceNoCloudNet fetches it in init-network, and init-network then exits ("datasource … in local mode") without configuring the guest. Before 24.1 the serial must say ds=nocloud-net.`,
    );
  if (nocloudNet && input.disks.cidata)
    warnings.push(
      "Both a nocloud-net serial and a cidata CD: the serial's seed URL is fetched in init-network and merged over the CD.",
    );
  if (!isX86(input.arch))
    warnings.push(
      'On non-x86 guests the SMBIOS strings only reach Linux through UEFI firmware (AAVMF/edk2); with a direct -kernel boot /sys/class/dmi is empty.',
    );
  if (ec2Platform(gen, input.dmi) === 'AWS')
    warnings.push(
      `The system UUID ${input.dmi.uuid} makes ${GENERATION_NAME[gen]} take this VM for AWS: regenerate it.`,
    );

  if (di.rc === 1) {
    reasons.push(
      'Nothing was found and notfound=disabled: ds-identify returns 1 and the generator disables cloud-init for this boot (no network configuration, no user-data).',
    );
    return { dsIdentify: di, winner: null, reasons, warnings };
  }
  let list = di.list;
  if (list === null) {
    reasons.push(
      'Nothing was found but notfound=enabled: no datasource_list is written and cloud-init walks its whole built-in list (slow: every datasource probes).',
    );
    list = PYTHON_DEFAULT_ORDER;
  } else {
    reasons.push(`/run/cloud-init/cloud.cfg gets "datasource_list: [ ${list.join(', ')} ]".`);
  }
  const winner = walkStages(input, list, reasons);
  if (winner === 'None')
    warnings.push(
      'cloud-init ends with DataSourceNone: no metadata, and the instance id changes to iid-datasource-none (a "new instance").',
    );
  return { dsIdentify: di, winner, reasons, warnings };
}

function explainChecks(input: VerdictInput, di: DsIdentifyResult, reasons: string[]): void {
  const image = input.datasourceListInImage;
  if (image?.length)
    reasons.push(
      `The image pins datasource_list: [ ${image.join(', ')} ]; ds-identify checks only those, in that order.`,
    );
  if (input.disks.config2)
    reasons.push(
      'A volume labelled config-2 is attached: ConfigDrive is found and OpenStack is not (check_configdrive_v2 runs first in dscheck_OpenStack).',
    );
  if (input.disks.cidata)
    reasons.push(
      "A volume labelled cidata is attached: NoCloud is found, and NoCloud precedes OpenStack in ds-identify's list.",
    );
  if (/^ds=nocloud/.test(input.dmi.serial.trim()))
    reasons.push('The SMBIOS serial starts with "ds=nocloud": NoCloud is found.');
  const how = openstackDmiMatch(input.cloudInit, input.dmi);
  if (how === 'product')
    reasons.push(
      `product_name "${input.dmi.productName.trim()}" is an OpenStack product name: OpenStack is found${input.disks.config2 ? ' (but the config drive hides it)' : ''}.`,
    );
  else if (how === 'asset')
    reasons.push(
      `chassis_asset_tag "${input.dmi.assetTag.trim()}" is an OpenStack asset tag: OpenStack is found${input.disks.config2 ? ' (but the config drive hides it)' : ''}.`,
    );
  else if (!input.disks.config2) {
    reasons.push(
      isX86(input.arch)
        ? 'Neither product_name nor chassis_asset_tag is an OpenStack value: OpenStack is not found on x86.'
        : `No OpenStack SMBIOS value: on ${input.arch} OpenStack returns "maybe" (LP: #1715241), which counts only with maybe=all.`,
    );
  }
  const platform = ec2Platform(input.cloudInit, input.dmi);
  if (platform) reasons.push(`ec2_identify_platform says ${platform}: Ec2 is found.`);
  if (di.found.length)
    reasons.push(`Found: ${di.found.join(', ')}${di.maybe.length ? `; maybe: ${di.maybe.join(', ')}` : ''}.`);
  else if (di.maybe.length)
    reasons.push(`Maybe: ${di.maybe.join(', ')} (used only with maybe=all; policy maybe=${di.policy.maybe}).`);
}

function pythonOpenStackDetect(input: VerdictInput, list: string[]): boolean {
  if (atLeast(input.cloudInit, '25.1') && list.length === 1 && list[0] === 'OpenStack') return true; // override_ds_detect
  if (!isX86(input.arch)) return true; // detect_openstack: "if not util.is_x86(): return True"
  // DataSourceOpenStack.py: VALID_DMI_ASSET_TAGS is the product-name list extended in place, so the Python side
  // accepts every asset-tag value as a product name too.
  return (
    openstackDmiMatch(input.cloudInit, input.dmi) !== null ||
    openstackAssetTags(input.cloudInit).includes(input.dmi.productName.trim())
  );
}

function walkStages(input: VerdictInput, list: string[], reasons: string[]): string {
  const seed = classifySerialSeed(input.dmi.serial, input.cloudInit);
  const nocloudNet = seed === 'ok' || seed === 'deprecated';
  const sidecarNoCloud = input.sidecar.nocloud ?? input.sidecar.openstack;
  const platform = ec2Platform(input.cloudInit, input.dmi);
  // init-local: DataSourceNoCloud, DataSourceConfigDrive, DataSourceOpenStackLocal, DataSourceEc2Local.
  for (const ds of list) {
    if (ds === 'NoCloud' && input.disks.cidata && !nocloudNet) {
      reasons.push(
        'init-local: DataSourceNoCloud mounts the cidata volume, finds user-data and meta-data and wins; the metadata service is never asked.',
      );
      return 'NoCloud';
    }
    if (ds === 'NoCloud' && nocloudNet)
      reasons.push(
        'init-local: DataSourceNoCloud skips the serial\'s http seed ("Seed from … not supported"); only DataSourceNoCloudNet in init-network fetches it.',
      );
    if (ds === 'ConfigDrive' && input.disks.config2) {
      reasons.push(
        'init-local: DataSourceConfigDrive reads openstack/<version>/meta_data.json from the config-2 volume and wins.',
      );
      return 'ConfigDrive';
    }
    if (ds === 'OpenStack' && pythonOpenStackDetect(input, list)) {
      if (input.sidecar.openstack) {
        reasons.push(
          'init-local: DataSourceOpenStackLocal brings up DHCP and GETs http://169.254.169.254/openstack once (10 s timeout); the sidecar answers and it wins (DataSourceOpenStack in init-network if the sidecar was not up yet).',
        );
        return 'OpenStackLocal';
      }
      reasons.push('init-local: DataSourceOpenStackLocal gets no answer from 169.254.169.254 (no OpenStack sidecar).');
    }
    if (ds === 'OpenStack' && !pythonOpenStackDetect(input, list))
      reasons.push('DataSourceOpenStack re-checks the DMI values on x86 and declines.');
    if (ds === 'Ec2' && (platform === 'AWS' || platform === 'Outscale') && input.sidecar.ec2) {
      reasons.push(`init-local: DataSourceEc2Local (platform ${platform}) fetches the EC2 metadata and wins.`);
      return 'Ec2Local';
    }
  }
  // init-network: DataSourceNoCloudNet, DataSourceOpenStack, DataSourceEc2, DataSourceNone.
  for (const ds of list) {
    if (ds === 'NoCloud' && nocloudNet && sidecarNoCloud) {
      reasons.push(
        "init-network: DataSourceNoCloudNet fetches meta-data, user-data and vendor-data from the serial's seed URL and wins.",
      );
      return 'NoCloudNet';
    }
    if (ds === 'Ec2' && input.sidecar.ec2) {
      reasons.push(
        `init-network: DataSourceEc2 (platform ${platform ?? 'unknown'}, strict_id ${platform ? 'not needed' : 'defaults to warn in Python'}) reads the EC2 tree from 169.254.169.254 and wins.`,
      );
      return 'Ec2';
    }
    if (ds === 'None') {
      reasons.push('init-network: nothing claimed the instance; DataSourceNone is used.');
      return 'None';
    }
  }
  reasons.push('No datasource in the list claimed the instance and None is not in it.');
  return 'None';
}
