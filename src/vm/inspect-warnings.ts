// The usual mistakes, each as a warning with a hint: the checks inspect runs on what it read. Pure.
import { EC2_USER_DATA_MAX_BYTES } from '../spec/limits.js';
import { openstackDmiMatch } from '../guest/ds-identify-model.js';
import type { VmView } from './vm-view.js';
import type { LogEntry } from './access-log.js';

export interface Warning {
  code: string;
  message: string;
  hint?: string;
}

const METADATA_LISTEN = /^(169\.254\.169\.254|\[?fe80::a9fe:a9fe)/i;

export function inspectWarnings(v: VmView, guestRequests: LogEntry[], leftovers: string[]): Warning[] {
  const w: Warning[] = [];
  const name = v.vm.name;
  const o = v.state.outputs;
  const openstackSmbios =
    openstackDmiMatch(v.vm.guest.cloudInit, {
      productName: v.smbios.type1.product ?? '',
      assetTag: v.smbios.type3.asset ?? '',
    }) !== null;
  // The documented default (CD attached, Nova SMBIOS so that --suppress-nocloud is all it takes to switch) is not
  // a mistake. It becomes one when the metadata service was set up on purpose: listen addresses given by a flag
  // or the spec, which the guest will never use while the CD wins.
  const serviceWanted = v.state.settings?.listen !== undefined && v.state.settings.listen.source !== 'default';
  if (o.cdrom && openstackSmbios && serviceWanted) {
    w.push({
      code: 'nocloud-cd-with-openstack',
      message:
        'the NoCloud cidata CD is attached while the SMBIOS says OpenStack and sidecar listen addresses are set: NoCloud wins in init-local and the metadata service is never asked',
      hint: `drop the CD: vmmeta update ${name} <spec.yaml> --suppress-nocloud (or datasource.nocloud: none in the spec), then detach it from the VM`,
    });
  }
  // Host mode with no host answering: that is what is missing, whatever a stale sidecar.json says.
  const host = v.host;
  const hostDown = host !== undefined && !host.running;
  if (hostDown) {
    w.push({
      code: 'host-not-running',
      message: `${name} is in host mode, and ${host.error ?? 'no vmmeta host answers'}: a guest booting now finds no metadata`,
      ...(host.hint ? { hint: host.hint } : {}),
    });
  } else if (v.host?.vm?.error) {
    w.push({
      code: v.host.vm.state === 'failed' ? 'host-load-failed' : 'host-reload-failed',
      message: `the vmmeta host (pid ${v.host.pid}) ${v.host.vm.state === 'failed' ? 'cannot serve' : 'could not reload'} ${name}: ${v.host.vm.error}`,
      hint: `fix the file it names, then vmmeta start ${name} (the host's lines for ${name} are in its sidecar.log)`,
    });
  }
  if (hostDown) {
    // said above
  } else if (v.sidecar.state === 'dead') {
    w.push({
      code: 'sidecar-dead',
      message: `the sidecar (pid ${v.sidecar.pid}) is not running any more: a guest booting now finds no metadata`,
      hint: `vmmeta start ${name} (and see sidecar.log in ${v.state.name}'s folder)`,
    });
  } else if (v.sidecar.state === 'stopped') {
    w.push({
      code: 'sidecar-stopped',
      message: 'the sidecar is not running: a guest booting now finds no metadata',
      hint: `vmmeta start ${name}`,
    });
  } else if (v.sidecar.state === 'running' && !v.answering) {
    const why = v.probes
      .filter((r) => !r.ok)
      .map((r) => `${r.address}: ${r.error}`)
      .join('; ');
    w.push({
      code: 'sidecar-not-answering',
      message: `the sidecar (pid ${v.sidecar.pid}) runs but does not answer (${why})`,
      hint: `vmmeta stop ${name} && vmmeta start ${name}`,
    });
  }
  if (!o.guestfwd && !o.listen.some((l) => METADATA_LISTEN.test(l))) {
    w.push({
      code: 'no-metadata-path',
      message: "no guestfwd or DNAT path is recorded: nothing routes the guest's 169.254.169.254:80 to this sidecar",
      hint: 'keep "unix" in sidecar.listen (QEMU guestfwd), or --listen 169.254.169.254:80 on the VM\'s bridge, or add an nftables DNAT to the sidecar\'s port',
    });
  }
  if (v.vm.guest.arch !== 'x86_64') {
    w.push({
      code: 'non-x86-guest',
      message: `the guest is ${v.vm.guest.arch}: SMBIOS reaches Linux only through UEFI firmware, and ds-identify treats OpenStack as "maybe" there`,
      hint: 'boot it with UEFI (AAVMF/edk2), or use the NoCloud CD or a config drive',
    });
  }
  const ud = v.vm.userData?.length ?? 0;
  if (ud > EC2_USER_DATA_MAX_BYTES) {
    w.push({
      code: 'ec2-user-data-too-big',
      message: `user-data is ${ud} bytes; EC2 clients (and AWS) accept at most ${EC2_USER_DATA_MAX_BYTES}`,
      hint: 'gzip it (cloud-init unpacks gzip) or move parts to a URL include',
    });
  }
  // A guest that reads its CD or config drive has no reason to call: only a guest meant to use the service warns.
  const fromDisk = v.verdict.winner === 'NoCloud' || v.verdict.winner === 'ConfigDrive';
  if (v.sidecar.state === 'running' && guestRequests.length === 0 && !fromDisk) {
    w.push({
      code: 'guest-never-called',
      message: 'the guest has never called the sidecar',
      hint: 'if the guest has booted: check the guestfwd argument in qemu-args.txt reached QEMU, the SMBIOS product name in the guest (/sys/class/dmi/id/product_name), and /run/cloud-init/ds-identify.log',
    });
  }
  for (const l of leftovers)
    w.push({
      code: 'leftover',
      message: `${l} is left from a command that died`,
      hint: `re-run vmmeta create for ${name}; it removes it`,
    });
  for (const msg of v.verdict.warnings) w.push({ code: 'datasource', message: msg });
  return w;
}
