// A guest that keeps running while the test acts on it: the same argv as boot() (vmmeta's args plus the test's
// own), but without -no-reboot, so a reboot inside the guest stays in this QEMU process (and its -snapshot
// overlay), and with the serial console readable while it runs. The test waits for markers the guest prints.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifactsDir } from './cache.js';
import { bootArgv, type BootOptions, type BootResult } from './qemu.js';
import { stripTerminalCodes } from './report.js';
import { recordTiming } from '../../helpers/timings.js';

export interface LiveGuest {
  // Resolves with the match and the time it was first seen on the console; rejects at the deadline or on exit.
  waitFor(re: RegExp, timeoutMs: number, what: string): Promise<{ match: RegExpExecArray; at: number }>;
  exited: Promise<number | null>;
  kill(): void;
  result(): BootResult; // the console so far, saved to the artifacts folder
}

export function liveBoot(o: BootOptions): LiveGuest {
  const argv = bootArgv(o).filter((a) => a !== '-no-reboot');
  const started = Date.now();
  const child = spawn('qemu-system-x86_64', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    log += d.toString('utf8');
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      exitCode = code;
      for (const l of listeners) l();
      resolve(code);
    }),
  );
  const hardStop = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
  hardStop.unref();
  // The console so far, on disk every 10 s: a long boot can be watched (and a hung one read) while it runs.
  const flush = setInterval(() => result(), 10_000);
  flush.unref();
  void exited.then(() => clearInterval(flush));
  const text = () => stripTerminalCodes(log.replaceAll('\r\n', '\n'));
  const result = (): BootResult => {
    const durationMs = Date.now() - started;
    const logPath = join(artifactsDir(), `${o.name}.serial.log`);
    writeFileSync(
      logPath,
      `# ${durationMs} ms, exit ${exitCode ?? 'running'}\n# qemu-system-x86_64 ${JSON.stringify(argv)}\n${text()}${stderr ? `\n--- qemu stderr ---\n${stderr}` : ''}`,
    );
    if (exitCode !== undefined) recordTiming('boot', o.name, durationMs / 1000, { exitCode, timedOut: false });
    return { name: o.name, log: text(), durationMs, exitCode: exitCode ?? null, timedOut: false, logPath, argv };
  };
  const waitFor = (re: RegExp, timeoutMs: number, what: string) =>
    new Promise<{ match: RegExpExecArray; at: number }>((resolve, reject) => {
      const check = () => {
        const m = re.exec(text());
        if (m) {
          done();
          // Checked on every console chunk, so now is when the marker arrived (to the chunk).
          return resolve({ match: m, at: Date.now() });
        }
        if (exitCode !== undefined) {
          done();
          reject(new Error(`the guest exited (${exitCode}) before ${what}; serial log ${result().logPath}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs / 1000} s; serial log ${result().logPath}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  return {
    waitFor,
    exited,
    kill: () => {
      clearTimeout(hardStop);
      child.kill('SIGKILL');
    },
    result,
  };
}
