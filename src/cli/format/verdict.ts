// The predicted datasource with its reasons and warnings (create, update, explain and inspect print it).
import { paint, type FormatOptions } from '../output.js';

export function verdictLines(
  predicted: string | null,
  reasons: string[],
  warnings: string[],
  o: FormatOptions,
): string {
  const c = paint(o);
  const head = predicted
    ? `cloud-init will use ${c.bold(`DataSource${predicted}`)}`
    : c.red('cloud-init will be disabled (no datasource found)');
  return [head, ...reasons.map((r) => `  - ${r}`), ...warnings.map((w) => `  ${c.yellow('!')} ${w}`)].join('\n') + '\n';
}
