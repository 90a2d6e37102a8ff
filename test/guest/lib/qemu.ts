// Boots a guest under QEMU with the arguments vmmeta emitted plus only the test's own additions (kernel,
// memory, TCG, serial, root disk, extra NICs), captures the serial console, and never lets a guest outlive its
// deadline or the test process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifactsDir } from './cache.js';
import { recordTiming } from '../../helpers/timings.js';

export interface BootOptions {
  name: string; // names the artifacts
  vmArgs: string[]; // exactly what vmmeta wrote to qemu-args.json
  kernel: string;
  initrd: string;
  append: string;
  memoryMb?: number;
  rootDisk?: string; // raw image, opened with -snapshot so every boot starts fresh
  extraArgs?: string[];
  timeoutMs: number;
  doneMarker?: string; // stop waiting once the console shows it (the guest powers off right after anyway)
  netns?: string; // run QEMU inside this network namespace (its taps live there): `ip netns exec` execs it in place
}

export interface BootResult {
  name: string;
  log: string; // serial console, \r\n normalised
  durationMs: number;
  exitCode: number | null;
  timedOut: boolean;
  logPath: string;
  argv: string[];
}

const running = new Set<ChildProcess>();

// KVM only when the CPU really has virtualization extensions: here /dev/kvm exists but is a slow software
// implementation (guest-testing.md), so TCG it is.
export function accelArgs(): string[] {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return /\b(vmx|svm)\b/.test(cpuinfo) && process.env.VMMETA_GUEST_KVM === '1' ? ['-accel', 'kvm'] : ['-accel', 'tcg'];
}

export function bootArgv(o: BootOptions): string[] {
  return [
    ...o.vmArgs,
    ...accelArgs(),
    '-m',
    String(o.memoryMb ?? 256),
    '-kernel',
    o.kernel,
    '-initrd',
    o.initrd,
    '-append',
    o.append,
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    'stdio',
    '-no-reboot',
    ...(o.rootDisk ? ['-drive', `file=${o.rootDisk},format=raw,if=virtio`, '-snapshot'] : []),
    ...(o.extraArgs ?? []),
  ];
}

export function boot(o: BootOptions): Promise<BootResult> {
  const argv = bootArgv(o);
  const started = Date.now();
  const [cmd, ...pre] = o.netns ? ['ip', 'netns', 'exec', o.netns, 'qemu-system-x86_64'] : ['qemu-system-x86_64'];
  const child = spawn(cmd!, [...pre, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let log = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    log += d.toString('utf8');
    if (o.doneMarker && log.includes(o.doneMarker)) setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, o.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      running.delete(child);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      const durationMs = Date.now() - started;
      const text = (log + (stderr ? `\n--- qemu stderr ---\n${stderr}` : '')).replaceAll('\r\n', '\n');
      const logPath = join(artifactsDir(), `${o.name}.serial.log`);
      writeFileSync(
        logPath,
        `# ${durationMs} ms, exit ${code}${timedOut ? ', TIMED OUT' : ''}\n# qemu-system-x86_64 ${JSON.stringify(argv)}\n${text}`,
      );
      recordTiming('boot', o.name, durationMs / 1000, { exitCode: code, timedOut });
      resolve({ name: o.name, log: text, durationMs, exitCode: code, timedOut, logPath, argv });
    });
  });
}

// For `after` hooks: no guest survives its test file.
export function killAllGuests(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}
process.on('exit', killAllGuests);
// A test run stopped with Ctrl-C or a signal must not leave TCG guests spinning on the two cores.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAllGuests();
    process.kill(process.pid, sig);
  });
}
