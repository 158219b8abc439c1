export interface BenchRow {
  readonly suite: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** The baseline measured in the same run, same unit. */
  readonly baseline?: number;
  readonly baselineName?: string;
  /** value/baseline computed by the suite (e.g. the median of per-round ratios); default value/baseline. */
  readonly ratio?: number;
  /** Target for value/baseline, e.g. `>= 0.6` or `<= 2.0`. */
  readonly target?: string;
}

function format(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(3);
}

// Prints one table: value, the same-run baseline, their ratio, and whether the target is met.
export function printTable(rows: readonly BenchRow[], out: NodeJS.WritableStream = process.stdout): void {
  const header = ['suite', 'metric', 'value', 'unit', 'baseline', 'ratio', 'target', 'met'];
  const lines = rows.map((row) => {
    const ratio =
      row.ratio ?? (row.baseline === undefined || row.baseline === 0 ? undefined : row.value / row.baseline);
    return [
      row.suite,
      row.metric,
      format(row.value),
      row.unit,
      row.baseline === undefined ? '' : `${format(row.baseline)} (${row.baselineName ?? 'baseline'})`,
      ratio === undefined ? '' : `${format(ratio)}x`,
      row.target ?? '',
      ratio === undefined || row.target === undefined ? '' : meetsTarget(ratio, row.target) ? 'yes' : 'NO',
    ];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => (line[column] ?? '').length)),
  );
  const render = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  out.write(
    `${render(header)}\n${render(widths.map((width) => '-'.repeat(width)))}\n${lines.map(render).join('\n')}\n`,
  );
}

export function meetsTarget(ratio: number, target: string): boolean {
  const match = /^(<=|>=)\s*([\d.]+)/.exec(target);
  if (match === null) return true;
  const bound = Number(match[2]);
  return match[1] === '<=' ? ratio <= bound : ratio >= bound;
}
