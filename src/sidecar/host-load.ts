// Host mode: reading one VM's files the way `vmmeta serve` does before it serves them (checked folder, served.json
// that names this VM and says host mode, token key, stored password, listen addresses), for MetadataHost.load.
import type { SidecarPaths } from '../state/layout.js';
import { loadServed, type Served } from './served.js';
import type { ListenAddress } from './files.js';
import { loadTokenKey } from '../state/secrets.js';
import { parseListen } from './listen.js';
import { checkVmState, readNoFollow } from '../state/secure-dir.js';
import { UnsafeStateError } from '../errors.js';
import { HostError } from './host-error.js';

// Not a VM for the host (no served.json, or process mode): a scan skips it without a word.
export class NotHosted extends HostError {}

export interface Loaded {
  served: Served;
  tokenKey: Uint8Array;
  password: string | undefined;
  listen: ListenAddress[];
  key: string;
}

export async function loadVm(root: string, vm: string, paths: SidecarPaths): Promise<Loaded> {
  try {
    checkVmState(root, vm); // a root host must never serve from a folder another user controls
  } catch (err) {
    if (err instanceof UnsafeStateError) throw new HostError(`${err.message} (${err.hint})`);
    throw err;
  }
  let served: Served;
  try {
    served = await loadServed(paths.served);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new NotHosted(`no VM "${vm}": ${paths.served} is missing`);
    throw new HostError(e.message);
  }
  if (served.vm !== vm) throw new HostError(`${paths.served} belongs to VM "${served.vm}", not "${vm}"`);
  if (!served.host)
    throw new NotHosted(
      `${vm} is not in host mode (its spec's sidecar.mode is process): vmmeta start ${vm} runs its own sidecar`,
    );
  const tokenKey = await loadTokenKey(paths.secrets).catch((err: NodeJS.ErrnoException) => {
    throw new HostError(err.code === 'ENOENT' ? `${paths.secrets} is missing (vmmeta create writes it)` : err.message);
  });
  const password = await readNoFollow(paths.password, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new HostError(err.message);
  });
  let listen: ListenAddress[];
  try {
    listen = (served.listen ?? ['unix']).map((l) =>
      parseListen(l, { socketPath: paths.sidecarSock, allowAll: served.allowAllInterfaces === true }),
    );
  } catch (err) {
    throw new HostError(`listen ${(err as Error).message}`);
  }
  const key = JSON.stringify(listen) + Buffer.from(tokenKey).toString('base64');
  return { served, tokenKey, password, listen, key };
}

export async function exists(path: string): Promise<boolean> {
  return readNoFollow(path).then(
    () => true,
    () => false,
  );
}
