// Escaping and number formatting of the Prometheus text exposition format 0.0.4.

// HELP text escapes backslash and newline.
export function escapeHelp(help: string): string {
  return help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

// Label values escape backslash, double quote and newline.
export function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

// `{a="x",b="y"}`, or nothing for no labels.
export function renderLabelPairs(pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) return '';
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

// Go's ParseFloat spellings for the special values; plain JS formatting for the rest.
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
