// Host mode: one process serves every VM of a state root whose spec says sidecar.mode: host. Each VM gets what a
// per-VM `vmmeta serve` would give it (server.ts startSidecar: its own listeners, its own tree, token key,
// password and access log), so a request on one VM's listener can only ever be answered from that VM's
// documents; the host only keeps the table of which VM runs. Per-VM operations are serialised per VM and never
// wait on another VM. Lean like the sidecar: node:* and the sidecar's own modules only.
import { readdir, rm, open } from 'node:fs/promises';
import { sidecarPaths, isVmName, type SidecarPaths } from '../state/layout.js';
import { encodeSidecarInfo, decodeSidecarInfo, type ListenAddress } from './files.js';
import { writeFileAtomic } from '../state/atomic.js';
import { startSidecar, type Limits, type RunningSidecar } from './server.js';
import { checkVmState, readNoFollow, NOFOLLOW_APPEND } from '../state/secure-dir.js';
import { HostError } from './host-error.js';
import { exists, loadVm, NotHosted, type Loaded } from './host-load.js';

export interface HostVmStatus {
  vm: string;
  // serving: its listeners answer. failed: its documents could not be loaded (error says why); nothing listens.
  state: 'serving' | 'failed' | 'stopped';
  listen?: ListenAddress[];
  files?: number;
  since?: string; // when its listeners were bound
  error?: string; // failed, or the last reload failed while the previous documents are still served
}

export interface HostEvent {
  event: string;
  vm?: string;
  [k: string]: unknown;
}

export interface HostOptions {
  limits?: Partial<Limits>;
  onEvent?: (e: HostEvent) => void;
  scanConcurrency?: number;
}

interface Serving {
  sidecar: RunningSidecar;
  key: string; // listeners + token key: a change of either rebinds, anything else is a tree swap
  since: string;
  reloadError?: string;
}

export { HostError } from './host-error.js';

// Only the first line of a failure message is kept for status; the rest goes to the VM's sidecar.log.
const oneLine = (m: string) => m.split('\n')[0]!;

export class MetadataHost {
  private readonly serving = new Map<string, Serving>();
  private readonly failed = new Map<string, string>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(
    readonly root: string,
    private readonly opts: HostOptions = {},
  ) {}

  // Runs fn after every earlier operation on the same VM, and never after another VM's.
  private serially<T>(vm: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(vm) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(vm, settled);
    void settled.then(() => {
      if (this.chains.get(vm) === settled) this.chains.delete(vm);
    });
    return next;
  }

  // Every VM folder of the root whose served.json opts in and that `vmmeta stop` did not leave stopped. A VM whose
  // documents cannot be loaded is reported failed and the others are served all the same.
  async scan(): Promise<{ serving: string[]; failed: string[] }> {
    const names = (await readdir(this.root).catch(() => [] as string[])).filter(isVmName).sort();
    const out = { serving: [] as string[], failed: [] as string[] };
    let next = 0;
    const worker = async () => {
      while (next < names.length) {
        const vm = names[next++]!;
        const s = await this.load(vm, { fromScan: true }).catch(() => undefined);
        if (s?.state === 'serving') out.serving.push(vm);
        else if (this.failed.has(vm)) out.failed.push(vm);
      }
    };
    await Promise.all(Array.from({ length: this.opts.scanConcurrency ?? 8 }, worker));
    return { serving: out.serving.sort(), failed: out.failed.sort() };
  }

  // Serve the VM's current served.json: bind its listeners if it is not served yet (or they changed), else swap
  // its tree in one step. A reload that fails keeps the previous documents served, as a per-VM sidecar does.
  // fromScan: a VM that is not in host mode, has no served.json or was stopped is skipped silently (undefined).
  load(vm: string, o: { start?: boolean; fromScan?: boolean } = {}): Promise<HostVmStatus | undefined> {
    if (!isVmName(vm)) return Promise.reject(new HostError(`"${vm}" is not a VM name`));
    return this.serially(vm, async () => {
      if (this.closed) throw new HostError('the host is shutting down');
      const paths = sidecarPaths(this.root, vm);
      if (o.fromScan && (await exists(paths.hostStopped))) return undefined;
      let loaded: Loaded;
      try {
        loaded = await loadVm(this.root, vm, paths);
      } catch (err) {
        if (o.fromScan && err instanceof NotHosted) return undefined;
        const message = (err as Error).message;
        const running = this.serving.get(vm);
        if (running) {
          running.reloadError = `reload failed, still serving the previous documents: ${oneLine(message)}`;
          await this.vmLog(paths, `reload failed, still serving the previous documents: ${message}`);
          this.emit({ event: 'reload-failed', vm, error: message });
        } else {
          this.failed.set(vm, oneLine(message));
          await this.vmLog(paths, `cannot serve ${vm}: ${message}`);
          this.emit({ event: 'vm-failed', vm, error: message });
        }
        throw new HostError(message);
      }
      if (o.start) await rm(paths.hostStopped, { force: true });
      const running = this.serving.get(vm);
      if (running && running.key === loaded.key) {
        running.sidecar.reload(loaded.served);
        delete running.reloadError;
        this.emit({ event: 'reloaded', vm, files: loaded.served.tree.size });
        return this.statusOf(vm)!;
      }
      if (running) await this.closeVm(vm, paths, 1000);
      let sidecar: RunningSidecar;
      try {
        sidecar = await startSidecar({
          served: loaded.served,
          tokenKey: loaded.tokenKey,
          listen: loaded.listen,
          ...(loaded.password !== undefined ? { password: loaded.password } : {}),
          passwordFile: paths.password,
          accessLog: paths.accessLog,
          ...(this.opts.limits ? { limits: this.opts.limits } : {}),
          onError: (m) => void this.vmLog(paths, m),
        });
      } catch (err) {
        const message = (err as Error).message;
        this.failed.set(vm, oneLine(message));
        await this.vmLog(paths, `cannot serve ${vm}: ${message}`);
        this.emit({ event: 'vm-failed', vm, error: message });
        throw new HostError(message);
      }
      const since = new Date().toISOString();
      this.serving.set(vm, { sidecar, key: loaded.key, since });
      this.failed.delete(vm);
      // Last, as for a per-VM sidecar: its presence means every listener of this VM answers.
      await writeFileAtomic(
        paths.sidecarJson,
        encodeSidecarInfo({ pid: process.pid, startedAt: since, listen: sidecar.addresses, host: true }),
        { mode: 0o600 },
      );
      this.emit({ event: 'serving', vm, listen: sidecar.addresses, files: loaded.served.tree.size });
      return this.statusOf(vm)!;
    });
  }

  // Stop serving the VM. stop: `vmmeta stop` asked, so a restarted host leaves it stopped too.
  unload(vm: string, o: { stop?: boolean } = {}): Promise<HostVmStatus> {
    if (!isVmName(vm)) return Promise.reject(new HostError(`"${vm}" is not a VM name`));
    return this.serially(vm, async () => {
      const paths = sidecarPaths(this.root, vm);
      const dropped = this.serving.get(vm)?.sidecar.accessLog?.dropped;
      const was = this.serving.has(vm);
      if (was) await this.closeVm(vm, paths);
      this.failed.delete(vm);
      if (o.stop) {
        // Only into a VM folder that is still there and still safe: a delete has the folder renamed away.
        try {
          checkVmState(this.root, vm);
          await writeFileAtomic(paths.hostStopped, `${new Date().toISOString()}\n`, { mode: 0o600 });
        } catch {
          // no folder: nothing to keep stopped
        }
      }
      if (was) this.emit({ event: 'unloaded', vm, accessLogDropped: dropped ?? 0 });
      return { vm, state: 'stopped' };
    });
  }

  statusOf(vm: string): HostVmStatus | undefined {
    const s = this.serving.get(vm);
    if (s)
      return {
        vm,
        state: 'serving',
        listen: s.sidecar.addresses,
        files: s.sidecar.served().tree.size,
        since: s.since,
        ...(s.reloadError ? { error: s.reloadError } : {}),
      };
    const error = this.failed.get(vm);
    return error !== undefined ? { vm, state: 'failed', error } : undefined;
  }

  status(): HostVmStatus[] {
    const names = [...new Set([...this.serving.keys(), ...this.failed.keys()])].sort();
    return names.map((vm) => this.statusOf(vm)!);
  }

  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.serving.keys()].map((vm) =>
        this.serially(vm, () => this.closeVm(vm, sidecarPaths(this.root, vm), graceMs)),
      ),
    );
  }

  private async closeVm(vm: string, paths: SidecarPaths, graceMs = 5000): Promise<void> {
    const s = this.serving.get(vm);
    if (!s) return;
    this.serving.delete(vm);
    await s.sidecar.close(graceMs);
    // Only a sidecar.json that names this process: a per-VM sidecar started since may have written its own.
    const info = await readNoFollow(paths.sidecarJson, 'utf8').then(decodeSidecarInfo, () => undefined);
    if (info?.pid === process.pid && info.host) await rm(paths.sidecarJson, { force: true });
  }

  private emit(e: HostEvent): void {
    this.opts.onEvent?.(e);
  }

  // The VM's own sidecar.log, as a per-VM sidecar's stderr goes there: `vmmeta logs <vm>` shows it either way.
  // O_NOFOLLOW: a link planted in the folder is never followed by a host running as root.
  private async vmLog(paths: SidecarPaths, message: string): Promise<void> {
    try {
      const fh = await open(paths.sidecarLog, NOFOLLOW_APPEND, 0o600);
      try {
        await fh.write(`${new Date().toISOString()} vmmeta host: ${message}\n`);
      } finally {
        await fh.close();
      }
    } catch {
      // no folder (deleted) or a planted link: the event on the host's stdout still says it
    }
  }
}
