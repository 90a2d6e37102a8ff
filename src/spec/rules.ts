// Cross-field rules run after the zod parse: small named checks, each returning `path: message` issues, so one
// run reports every problem in a spec (the changesets `rules.ts` pattern). Pure: no I/O; userDataFile is read
// and measured by load.ts.
import type { SpecIssue } from './issues.js';
import { hotplugIssues } from './hotplug.js';
import type { Spec } from './schema.js';
import { base64Problem, decodeBase64 } from './base64.js';
import { isInterfaceName, listenProblem } from './listen.js';
import { USER_DATA_MAX_BYTES } from './limits.js';
import { checkNetworks } from './rules-network.js';
import { looksLikeEc2 } from './ids.js';
import { sshKeyProblem } from './ssh-key.js';

type Rule = (spec: Spec) => SpecIssue[];

export function tooBig(size: number, what: string): string {
  return `${what} ${size} bytes; the limit is ${USER_DATA_MAX_BYTES} bytes (Nova stores at most 65535 base64 characters)`;
}

const uuidRule: Rule = (spec) =>
  spec.uuid !== undefined && looksLikeEc2(spec.uuid)
    ? [
        {
          path: 'uuid',
          message: 'its first group read byte-swapped starts with "ec2": newer cloud-init would take the VM for AWS',
        },
      ]
    : [];

const sshKeyRules: Rule = (spec) => {
  const issues: SpecIssue[] = [];
  const firstByName = new Map<string, number>();
  spec.sshKeys.forEach((k, i) => {
    const seen = firstByName.get(k.name);
    if (seen !== undefined)
      issues.push({ path: `sshKeys[${i}].name`, message: `duplicates sshKeys[${seen}].name ("${k.name}")` });
    else firstByName.set(k.name, i);
    const problem = sshKeyProblem(k.key);
    if (problem) issues.push({ path: `sshKeys[${i}].key`, message: problem });
  });
  return issues;
};

const USER_DATA_FIELDS = ['userData', 'userDataFile', 'userDataBase64'] as const;

const userDataRules: Rule = (spec) => {
  const issues: SpecIssue[] = [];
  const given = USER_DATA_FIELDS.filter((f) => spec[f] !== undefined);
  for (const extra of given.slice(1)) {
    issues.push({ path: extra, message: `conflicts with ${given[0]}: give one of ${USER_DATA_FIELDS.join(', ')}` });
  }
  if (spec.userData !== undefined) {
    const size = new TextEncoder().encode(spec.userData).length;
    if (size > USER_DATA_MAX_BYTES) issues.push({ path: 'userData', message: tooBig(size, 'is') });
  }
  if (spec.userDataBase64 !== undefined) {
    const problem = base64Problem(spec.userDataBase64);
    if (problem) issues.push({ path: 'userDataBase64', message: problem });
    else {
      const size = decodeBase64(spec.userDataBase64)!.length;
      if (size > USER_DATA_MAX_BYTES) issues.push({ path: 'userDataBase64', message: tooBig(size, 'decodes to') });
    }
  }
  return issues;
};

// cloud-init decodes random_seed with b64decode; bad padding fails the whole datasource (cloud-init-client.md).
const randomSeedRule: Rule = (spec) => {
  if (spec.randomSeed === undefined) return [];
  const problem = base64Problem(spec.randomSeed);
  return problem ? [{ path: 'randomSeed', message: problem }] : [];
};

// vendorData becomes vendor_data.json: YAML can hold values JSON cannot (.inf, .nan).
function jsonProblems(value: unknown, path: string): SpecIssue[] {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return [];
  if (typeof value === 'number') {
    const yaml = Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
    return Number.isFinite(value) ? [] : [{ path, message: `${yaml} cannot be written as JSON` }];
  }
  if (value instanceof Uint8Array)
    return [{ path, message: 'binary data (!!binary) cannot be written as JSON; use a base64 string' }];
  if (Array.isArray(value)) return value.flatMap((v, i) => jsonProblems(v, `${path}[${i}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value).flatMap(([k, v]) =>
      jsonProblems(v, /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`),
    );
  }
  return [{ path, message: `a ${typeof value} cannot be written as JSON` }];
}
const vendorDataRule: Rule = (spec) =>
  spec.vendorData === undefined ? [] : jsonProblems(spec.vendorData, 'vendorData');

// Nova's device tags: a nic device describes one of the VM's NICs, found by MAC.
const deviceRules: Rule = (spec) => {
  const macs = new Set((spec.network?.links ?? []).map((l) => l.mac));
  return spec.devices.flatMap((d, i): SpecIssue[] => {
    const out: SpecIssue[] = [];
    if (d.type === 'disk' && d.mac !== undefined)
      out.push({ path: `devices[${i}].mac`, message: 'only nic devices have a MAC' });
    if (d.type === 'disk' && d.vlan !== undefined)
      out.push({ path: `devices[${i}].vlan`, message: 'only nic devices have a VLAN' });
    if (d.type === 'nic' && d.mac !== undefined && !macs.has(d.mac)) {
      out.push({ path: `devices[${i}].mac`, message: `no link in network.links has MAC ${d.mac}` });
    }
    return out;
  });
};

// The shared grammar (spec/listen.ts); port 0 = any free port.
const sidecarRule: Rule = (spec) =>
  spec.sidecar.listen.flatMap((entry, i) => {
    const problem = listenProblem(entry, spec.sidecar.allowAllInterfaces);
    if (problem) return [{ path: `sidecar.listen[${i}]`, message: problem }];
    // Port 0 picks a fresh port each time, so "127.0.0.1:0" twice is two listeners, not a clash.
    const first = spec.sidecar.listen.indexOf(entry);
    return first < i && !entry.endsWith(':0')
      ? [{ path: `sidecar.listen[${i}]`, message: `duplicates sidecar.listen[${first}] ("${entry}")` }]
      : [];
  });

// Tap mode names its tap; a tap without tap mode would be silently ignored.
const tapRule: Rule = (spec) => {
  const { path, tap } = spec.sidecar;
  if (path === 'tap' && !tap)
    return [{ path: 'sidecar.tap', message: "sidecar.path is tap: name the VM's tap (sidecar.tap.device)" }];
  if (path !== 'tap' && tap) return [{ path: 'sidecar.tap', message: 'only used with sidecar.path: tap' }];
  if (!tap) return [];
  const out: SpecIssue[] = [];
  const name = (v: string, field: string) => {
    if (!isInterfaceName(v))
      out.push({
        path: `sidecar.tap.${field}`,
        message: `${JSON.stringify(v)} is not a Linux interface name (1-15 letters, digits, "_", "." or "-")`,
      });
  };
  name(tap.device, 'device');
  if (tap.bridge !== undefined) name(tap.bridge, 'bridge');
  if (tap.bridge !== undefined && tap.bridge === tap.device)
    out.push({ path: 'sidecar.tap.bridge', message: 'the bridge cannot be the tap itself' });
  return out;
};

const networkRule: Rule = (spec) => (spec.network ? checkNetworks(spec.network) : []);

export const RULES: readonly Rule[] = [
  uuidRule,
  sshKeyRules,
  userDataRules,
  randomSeedRule,
  vendorDataRule,
  deviceRules,
  sidecarRule,
  tapRule,
  networkRule,
  hotplugIssues,
];

export function checkRules(spec: Spec): SpecIssue[] {
  return RULES.flatMap((rule) => rule(spec));
}
