// Describes a value for an error message by type and shape, e.g. `-1` (number); strings are
// quoted but cut short, since a misplaced option value could be sensitive.
export function describeValue(value: unknown): string {
  if (value === null) return '`null`';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `a string of ${value.length} characters` : `\`${JSON.stringify(value)}\` (string)`;
    case 'number':
    case 'boolean':
      return `\`${String(value)}\` (${typeof value})`;
    case 'undefined':
      return '`undefined`';
    default:
      return `a value of type ${typeof value}`;
  }
}
