// What an update changes for the guest's next boot, named so the operator sees it (issue 18): the NoCloud CD
// attached or removed, the config drive, the NoCloud mode, the sidecar's addresses, the predicted datasource.
// Pure: old outputs and verdict in, a list out.
import type { VmOutputs } from '../state/store.js';

export interface Change {
  setting: 'cdrom' | 'config-drive' | 'nocloud' | 'listen' | 'datasource';
  from: unknown;
  to: unknown;
  message: string;
}

export interface BootView {
  outputs: VmOutputs;
  predicted: string | null;
}

export function bootChanges(before: BootView, after: BootView): Change[] {
  const out: Change[] = [];
  const a = before.outputs;
  const b = after.outputs;
  if ((a.cdrom === null) !== (b.cdrom === null)) {
    out.push(
      b.cdrom
        ? {
            setting: 'cdrom',
            from: null,
            to: b.cdrom.path,
            message: `NoCloud CD attached (${b.cdrom.path}): add it to the VM, NoCloud wins while it is there`,
          }
        : {
            setting: 'cdrom',
            from: a.cdrom!.path,
            to: null,
            message: 'NoCloud CD removed: detach cidata.iso from the VM (libvirt: vmmeta libvirt patch)',
          },
    );
  }
  if ((a.configDrive === null) !== (b.configDrive === null)) {
    out.push(
      b.configDrive
        ? {
            setting: 'config-drive',
            from: null,
            to: b.configDrive,
            message: `config drive attached (${b.configDrive})`,
          }
        : {
            setting: 'config-drive',
            from: a.configDrive,
            to: null,
            message: 'config drive removed: detach config-2.iso from the VM',
          },
    );
  }
  if (a.nocloud !== b.nocloud)
    out.push({ setting: 'nocloud', from: a.nocloud, to: b.nocloud, message: `NoCloud: ${a.nocloud} → ${b.nocloud}` });
  if (JSON.stringify(a.listen) !== JSON.stringify(b.listen)) {
    out.push({
      setting: 'listen',
      from: a.listen,
      to: b.listen,
      message: `sidecar listens on ${b.listen.join(', ')} (was ${a.listen.join(', ')})`,
    });
  }
  if (before.predicted !== after.predicted) {
    out.push({
      setting: 'datasource',
      from: before.predicted,
      to: after.predicted,
      message: `datasource: ${before.predicted ?? 'none'} → ${after.predicted ?? 'none'} at the next boot`,
    });
  }
  return out;
}
