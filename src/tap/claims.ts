// What other VMs in the state root hold in tap mode: one VM per tap and one VM per port (the port is also the
// VM's packet mark, tap/ruleset.ts). A new tap-mode VM gets the first free port from PORT_FIRST, recorded in
// state.json so it never moves; an operator may pin one with sidecar.tap.port.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { EXIT, UserError } from '../errors.js';
import { FILES } from '../state/paths.js';
import { listVmNames } from '../state/store.js';

export const PORT_FIRST = 8801;
const PORT_LAST = 9799;

export interface TapClaim {
  vm: string;
  device: string;
  port: number;
}

export async function otherTapClaims(root: string, except: string): Promise<TapClaim[]> {
  const out: TapClaim[] = [];
  for (const vm of await listVmNames(root)) {
    if (vm === except) continue;
    const doc = await readFile(join(root, vm, FILES.state), 'utf8').then(
      (t) => JSON.parse(t) as { outputs?: { tap?: { device?: unknown; port?: unknown } } },
      () => undefined,
    );
    const tap = doc?.outputs?.tap;
    if (typeof tap?.device === 'string' && typeof tap.port === 'number')
      out.push({ vm, device: tap.device, port: tap.port });
  }
  return out;
}

// Two VMs on one tap would each see the other's packets marked as theirs; two on one port would share a sidecar.
export function checkClaims(
  name: string,
  want: { device: string; port?: number | undefined },
  others: TapClaim[],
): void {
  const tap = others.find((c) => c.device === want.device);
  if (tap) {
    throw new UserError(`sidecar.tap.device: tap ${want.device} already belongs to VM ${tap.vm}`, {
      exitCode: EXIT.conflict,
      details: ['the rules pick a VM by the tap its packets enter on, so one tap carries one VM'],
      hint: `give ${name} its own tap, or delete ${tap.vm} first`,
    });
  }
  const port = want.port === undefined ? undefined : others.find((c) => c.port === want.port);
  if (port) {
    throw new UserError(`sidecar.tap.port: port ${want.port} already belongs to VM ${port.vm}`, {
      exitCode: EXIT.conflict,
      hint: `drop sidecar.tap.port (a free one is chosen and recorded) or pick another`,
    });
  }
}

// The first port no other VM records and nothing on this host is bound to (asked on loopback: the metadata
// address may not be set up yet, and the sidecar reports a clash there itself).
export async function choosePort(others: TapClaim[]): Promise<number> {
  const taken = new Set(others.map((c) => c.port));
  for (let port = PORT_FIRST; port <= PORT_LAST; port++) {
    if (!taken.has(port) && (await portFree(port))) return port;
  }
  throw new UserError(`no free sidecar port between ${PORT_FIRST} and ${PORT_LAST}`, {
    exitCode: EXIT.failure,
    hint: 'set sidecar.tap.port',
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}
