// The CLI's side of host mode: one request to the state root's `vmmeta host` over its 0600 host.sock, one reply
// (sidecar/host-protocol.ts). A host that is not running is a clear error naming the command that starts it.
import { connect } from 'node:net';
import { hostSocketPath } from '../state/layout.js';
import { UserError } from '../errors.js';
import type { HostReply, HostRequest } from '../sidecar/host-protocol.js';
import type { HostVmStatus } from '../sidecar/host.js';

// Binding a VM's listeners takes milliseconds; a host scanning hundreds of VMs at start may take a few seconds
// before it gets to a request.
const HOST_TIMEOUT_MS = 15_000;

export class HostNotRunning extends UserError {}

export function hostNotRunning(root: string, why: string): HostNotRunning {
  return new HostNotRunning(`no vmmeta host is running for ${root} (${why})`, {
    hint: `start it: vmmeta host --state-dir ${root} (or systemctl enable --now vmmeta-host), then run this again`,
  });
}

export async function hostRequest(
  root: string,
  req: HostRequest,
  timeoutMs = HOST_TIMEOUT_MS,
): Promise<{ pid: number; vm?: HostVmStatus; vms?: HostVmStatus[] }> {
  const path = hostSocketPath(root);
  const reply = await new Promise<HostReply>((resolve, reject) => {
    const s = connect(path);
    let buffered = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new UserError(`the vmmeta host for ${root} did not answer ${req.op} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      s.destroy();
      fn();
    };
    s.setEncoding('utf8');
    s.once('connect', () => s.write(JSON.stringify(req) + '\n'));
    s.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      done(() => {
        try {
          resolve(JSON.parse(buffered.slice(0, nl)) as HostReply);
        } catch {
          reject(new UserError(`the vmmeta host for ${root} sent a reply that is not JSON`));
        }
      });
    });
    s.once('error', (e: NodeJS.ErrnoException) =>
      done(() =>
        reject(
          e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
            ? hostNotRunning(root, `${path}: ${e.code === 'ENOENT' ? 'no such socket' : 'connection refused'}`)
            : new UserError(`cannot reach the vmmeta host at ${path}: ${e.message}`),
        ),
      ),
    );
    s.once('end', () =>
      done(() => reject(new UserError(`the vmmeta host for ${root} closed the connection without a reply`))),
    );
  });
  if (!reply.ok)
    throw new UserError(`the vmmeta host (pid ${reply.pid}) refused to ${req.op}${'vm' in req ? ` ${req.vm}` : ''}`, {
      details: [reply.error],
      hint: 'vm' in req ? `its lines for this VM are in ${req.vm}/sidecar.log: vmmeta logs ${req.vm}` : undefined,
    });
  const { ok: _ok, ...rest } = reply;
  return rest;
}
