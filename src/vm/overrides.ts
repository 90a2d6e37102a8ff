// Command-line settings that change what a VM gets (`--nocloud`/`--suppress-nocloud`, `--config-drive`,
// `--listen`). They are recorded in state.json when given, so `update` and a re-run of `create` keep them: an
// update without the flag must never quietly re-attach the CD or move the sidecar (issue 18). `--from-spec X`
// forgets one. Adding such a flag later is one more row in SETTINGS. Pure: no I/O.
import type { Link, Network, ResolvedVm } from '../spec/schema.js';
import type { NicBackend } from '../hypervisor/hotplug.js';
import { UserError, EXIT } from '../errors.js';
import { listenProblem } from '../spec/listen.js';

// A NIC `vmmeta nic add` plugged into the running VM: its link and networks join the spec's in every document
// until `vmmeta nic remove`, and survive update and create like the flags above.
export interface HotNic {
  link: Extract<Link, { type: 'physical' }>;
  networks: Network[];
  backend: NicBackend;
  port: number | null; // q35 root port (1-based), null on pc
  addedAt: string;
  via?: { libvirt: { domain: string; uri?: string } }; // plugged through libvirt; absent: the VM's QMP socket
}

export type NocloudMode = 'cd' | 'none' | 'net';

// What state.json records: only the settings the command line decided.
export interface Overrides {
  nocloud?: NocloudMode;
  configDrive?: boolean;
  listen?: string[];
  nics?: HotNic[];
}

// What one command line says about them: a value per setting (same keys as Overrides), plus the sugar.
export interface OverrideFlags extends Overrides {
  suppressNocloud?: boolean; // `--nocloud none`, but only where the CD would be attached (net keeps its seed)
  fromSpec?: string[]; // setting names (or "all") whose recorded flag is forgotten
}

export type SettingSource = 'flag' | 'spec' | 'default';
export interface Setting {
  value: unknown;
  source: SettingSource;
}
export type Settings = Record<SettingName, Setting>;

interface Row<K extends keyof Overrides> {
  name: string; // as --from-spec and the output name it
  key: K;
  specValue(vm: ResolvedVm): NonNullable<Overrides[K]>;
  inSpec(raw: unknown): boolean; // written in the spec (rather than left to its default)
  apply(vm: ResolvedVm, value: NonNullable<Overrides[K]>): ResolvedVm;
  flag(value: NonNullable<Overrides[K]>): string[]; // how the recorded value is given on a command line
}

function written(raw: unknown, section: string, key: string): boolean {
  const sec = (raw as Record<string, unknown> | null)?.[section];
  return typeof sec === 'object' && sec !== null && (sec as Record<string, unknown>)[key] !== undefined;
}

const SETTINGS = [
  {
    name: 'nocloud',
    key: 'nocloud',
    specValue: (vm) => vm.datasource.nocloud,
    inSpec: (raw) => written(raw, 'datasource', 'nocloud'),
    apply: (vm, nocloud) => ({ ...vm, datasource: { ...vm.datasource, nocloud } }),
    flag: (v) => [`--nocloud ${v}`],
  } satisfies Row<'nocloud'>,
  {
    name: 'config-drive',
    key: 'configDrive',
    specValue: (vm) => vm.datasource.configDrive,
    inSpec: (raw) => written(raw, 'datasource', 'configDrive'),
    apply: (vm, configDrive) => ({ ...vm, datasource: { ...vm.datasource, configDrive } }),
    flag: (v) => [v ? '--config-drive' : '--no-config-drive'],
  } satisfies Row<'configDrive'>,
  {
    name: 'listen',
    key: 'listen',
    specValue: (vm) => [...vm.sidecar.listen],
    inSpec: (raw) => written(raw, 'sidecar', 'listen'),
    apply: (vm, listen) => ({ ...vm, sidecar: { ...vm.sidecar, listen: [...listen] } }),
    flag: (v) => v.map((l) => `--listen ${l}`),
  } satisfies Row<'listen'>,
] as const;

export type SettingName = (typeof SETTINGS)[number]['name'];
export const SETTING_NAMES: string[] = SETTINGS.map((s) => s.name);

// The spec's VM with the recorded overrides on top (the input is not modified).
export function applyOverrides(vm: ResolvedVm, o: Overrides): ResolvedVm {
  let out = vm;
  for (const row of SETTINGS) {
    const value = o[row.key];
    if (value !== undefined) out = (row.apply as (v: ResolvedVm, x: unknown) => ResolvedVm)(out, value);
  }
  return o.nics?.length ? withHotNics(out, o.nics) : out;
}

// A spec edited after a hot-plug may now name the same link or MAC: one of the two must go, vmmeta cannot pick.
export function withHotNics(vm: ResolvedVm, nics: readonly HotNic[]): ResolvedVm {
  for (const n of nics) {
    const clash = vm.network.links.find((l) => l.id === n.link.id || l.mac === n.link.mac);
    if (clash) {
      throw new UserError(
        `network.links: link ${clash.id} (${clash.mac}) clashes with the hot-plugged NIC ${n.link.id} (${n.link.mac})`,
        {
          exitCode: EXIT.conflict,
          hint: `take it out of the spec, or unplug the NIC first: vmmeta nic remove ${vm.name} ${n.link.id}`,
        },
      );
    }
  }
  const network = {
    ...vm.network,
    links: [...vm.network.links, ...nics.map((n) => n.link)],
    networks: [...vm.network.networks, ...nics.flatMap((n) => n.networks)],
  };
  return { ...vm, network };
}

// state.json's resolved VM as the spec gave it: the hot-plugged NICs taken out again (buildPlan re-applies them).
export function specVm(resolved: ResolvedVm, o: Overrides | undefined): ResolvedVm {
  return o?.nics?.length ? withoutHotNics(resolved, o.nics) : resolved;
}

// The VM without its hot-plugged NICs (state.json's resolved VM has them applied).
export function withoutHotNics(vm: ResolvedVm, nics: readonly HotNic[]): ResolvedVm {
  const ids = new Set(nics.map((n) => n.link.id));
  return {
    ...vm,
    network: {
      ...vm.network,
      links: vm.network.links.filter((l) => !ids.has(l.id)),
      networks: vm.network.networks.filter((n) => !ids.has(n.link)),
    },
  };
}

// The overrides to record: what was recorded before, minus `--from-spec`, plus this command line.
export function mergeOverrides(stored: Overrides, flags: OverrideFlags, specVm: ResolvedVm): Overrides {
  const out: Overrides = { ...stored };
  for (const name of flags.fromSpec ?? []) {
    if (name === 'all') for (const row of SETTINGS) delete out[row.key];
    else {
      const row = SETTINGS.find((s) => s.name === name);
      if (!row)
        throw new UserError(`--from-spec: unknown setting ${JSON.stringify(name)}`, {
          exitCode: EXIT.invalid,
          hint: `one of: ${[...SETTING_NAMES, 'all'].join(', ')}`,
        });
      delete out[row.key];
    }
  }
  // --listen goes through the spec's own grammar and message (spec/listen.ts), before anything is written.
  for (const entry of flags.listen ?? []) {
    const problem = listenProblem(entry, specVm.sidecar.allowAllInterfaces);
    if (problem) throw new UserError(`--listen ${problem}`, { exitCode: EXIT.invalid });
  }
  const given = out as Record<string, unknown>;
  for (const row of SETTINGS) {
    const value = flags[row.key];
    if (value !== undefined && !(Array.isArray(value) && !value.length))
      given[row.key] = Array.isArray(value) ? [...value] : value;
  }
  // The one flag that depends on the spec: it drops a CD, and leaves a NoCloud-net seed alone.
  if (flags.nocloud === undefined && flags.suppressNocloud && (out.nocloud ?? specVm.datasource.nocloud) === 'cd')
    out.nocloud = 'none';
  return out;
}

// Each setting's value and where it came from, for inspect and explain.
export function settingSources(specVm: ResolvedVm, raw: unknown, o: Overrides): Settings {
  const out = {} as Settings;
  for (const row of SETTINGS) {
    const flag = o[row.key];
    out[row.name] =
      flag !== undefined
        ? { value: flag, source: 'flag' }
        : {
            value: (row.specValue as (v: ResolvedVm) => unknown)(specVm),
            source: row.inSpec(raw) ? 'spec' : 'default',
          };
  }
  return out;
}

// How a recorded override is given back on a command line (for messages).
export function overrideFlags(o: Overrides): string[] {
  return SETTINGS.flatMap((row) => {
    const value = o[row.key];
    return value === undefined ? [] : (row.flag as (v: unknown) => string[])(value);
  });
}
