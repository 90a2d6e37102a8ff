// Where a cold run's time goes: slow steps (image builds, package downloads, boots) append one JSON line each to
// the file test/run.js names in VMMETA_TEST_TIMINGS, and run.js sums them up at the end. Outside run.js the
// variable is unset and nothing is recorded.
import { appendFileSync } from 'node:fs';

export type TimingKind = 'image-build' | 'initramfs-build' | 'package-unpack' | 'apt-update' | 'boot' | 'hotplug';

export function recordTiming(
  kind: TimingKind,
  name: string,
  seconds: number,
  extra: Record<string, unknown> = {},
): void {
  const file = process.env.VMMETA_TEST_TIMINGS;
  if (!file) return;
  appendFileSync(file, JSON.stringify({ kind, name, seconds: Math.round(seconds * 10) / 10, ...extra }) + '\n');
}

// Times a synchronous or asynchronous step and records it, whether it succeeds or fails.
export async function timed<T>(kind: TimingKind, name: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    recordTiming(kind, name, (Date.now() - started) / 1000);
  }
}

export function timedSync<T>(kind: TimingKind, name: string, fn: () => T): T {
  const started = Date.now();
  try {
    return fn();
  } finally {
    recordTiming(kind, name, (Date.now() - started) / 1000);
  }
}
