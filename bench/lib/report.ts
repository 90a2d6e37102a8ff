// One row per figure: the measured median, the peer measured in the same run (if any) and the target check.
export interface Target {
  op: '<' | '<=' | '>=';
  value: number;
  text: string; // as the issue states it
}

export interface Row {
  group: string;
  name: string;
  value: number;
  unit: string;
  runs?: number;
  peer?: { name: string; value: number };
  ratio?: number; // value / peer.value
  // subject (below) is what the target is checked against when it is not the value itself (a ratio, a difference)
  target?: Target & { met: boolean };
  note?: string;
}

export function row(r: Omit<Row, 'ratio' | 'target'> & { target?: Target; subject?: number }): Row {
  const out: Row = { group: r.group, name: r.name, value: r.value, unit: r.unit };
  if (r.runs !== undefined) out.runs = r.runs;
  if (r.peer) {
    out.peer = r.peer;
    out.ratio = r.value / r.peer.value;
  }
  if (r.target) {
    const subject = r.subject ?? r.value;
    const met =
      r.target.op === '<'
        ? subject < r.target.value
        : r.target.op === '<='
          ? subject <= r.target.value
          : subject >= r.target.value;
    out.target = { ...r.target, met };
  }
  if (r.note) out.note = r.note;
  return out;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  return a >= 1000 ? n.toFixed(0) : a >= 100 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toFixed(3);
}

export function formatTable(rows: Row[]): string {
  const head = ['benchmark', 'measured', 'peer (same run)', 'ratio', 'target'];
  const body = rows.map((r) => [
    `${r.group}: ${r.name}`,
    `${fmt(r.value)} ${r.unit}${r.runs ? ` (n=${r.runs})` : ''}`,
    r.peer ? `${r.peer.name} ${fmt(r.peer.value)} ${r.unit}` : '',
    r.ratio !== undefined ? `${fmt(r.ratio)}x` : '',
    r.target ? `${r.target.met ? 'MET' : 'MISSED'} (${r.target.text})` : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
