// Words for JSON values in messages. Values are described by type only: a definition's plain env
// values may be sensitive, so no value ever reaches a message. Names and paths are quoted instead.

const maxQuotedChars = 200;

// `a string`, `a number`, `null`, `an array`, `an object`, ...: the type, never the content.
export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return `a value of type ${typeof value}`;
  }
}

// Quotes a name or path (never a value) as JSON, cut short so a huge key cannot flood a message.
export function quoteText(text: string): string {
  const clipped = text.length > maxQuotedChars ? `${text.slice(0, maxQuotedChars)}...` : text;
  return JSON.stringify(clipped);
}
