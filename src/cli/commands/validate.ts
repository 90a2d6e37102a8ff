// vmmeta validate <spec>: parse and check a spec without writing anything. Problems surface as invalidSpec
// (exit 2, one "field: reason" line each) from loadSpecFile.
import { loadSpecFile } from '../../spec/load.js';
import { generationWarnings } from '../../spec/generation-rules.js';

export interface ValidateResult {
  valid: true;
  source: string;
  name: string;
  hostname: string;
  uuid: string | null; // null: generated at create time
  userDataBytes: number;
  sshKeys: string[];
  links: number;
  networks: number;
  datasource: { nocloud: string; configDrive: boolean };
  guest: { arch: string; cloudInit: string };
  warnings: string[]; // valid, but rendered wrongly by the generation in guest.cloudInit (or by a renderer)
}

export async function validate(o: { spec: string; userDataOutside?: boolean }): Promise<ValidateResult> {
  const { source, spec, vm } = await loadSpecFile(o.spec, { userDataOutside: o.userDataOutside });
  return {
    valid: true,
    source,
    name: vm.name,
    hostname: vm.hostname,
    uuid: spec.uuid ?? null,
    userDataBytes: vm.userData?.length ?? 0,
    sshKeys: vm.sshKeys.map((k) => k.name),
    links: vm.network.links.length,
    networks: vm.network.networks.length,
    datasource: { nocloud: vm.datasource.nocloud, configDrive: vm.datasource.configDrive },
    guest: { arch: vm.guest.arch, cloudInit: vm.guest.cloudInit },
    warnings: generationWarnings(vm),
  };
}
