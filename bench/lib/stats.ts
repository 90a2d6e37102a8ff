// Summaries over repeated runs. Medians, not means: one slow run (a page-cache miss, the other core busy) must
// not move the figure.
export function median(xs: number[]): number {
  return percentile(xs, 50);
}

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

export function msSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function now(): bigint {
  return process.hrtime.bigint();
}

export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = now();
  await fn();
  return msSince(t0);
}
