// Human output of host-setup: one line per step and what happened to it.
import type { FormatOptions } from '../output.js';

export function formatHostSetup(
  r: { undo: boolean; steps: Array<{ id: string; action: string }> },
  _o: FormatOptions,
): string {
  const w = Math.max(0, ...r.steps.map((s) => s.id.length));
  return (
    r.steps.map((s) => `${s.id.padEnd(w)}  ${s.action}\n`).join('') ||
    'nothing to do (no --bridge, and no tap-mode VM in the state root)\n'
  );
}
