// RFC 6901 JSON pointers for issue locations: `/env/DB_PASSWORD/secret`, `/secrets/a~1b/source`.

// Builds a pointer from raw tokens, escaping `~` as `~0` and `/` as `~1` (in that order).
export function formatJsonPointer(tokens: readonly (string | number)[]): string {
  return appendJsonPointer('', ...tokens);
}

// Appends raw tokens to an already formatted pointer. An indexed loop: validation calls this a few
// times per env var and secret on `run`'s start-up path, where V8's interpreter would allocate an
// iterator result for every step of a for-of (docs/benchmarks.md).
export function appendJsonPointer(pointer: string, ...tokens: readonly (string | number)[]): string {
  let appended = pointer;
  for (let index = 0; index < tokens.length; index += 1) appended += `/${escapeToken(String(tokens[index]))}`;
  return appended;
}

function escapeToken(token: string): string {
  return token.includes('~') || token.includes('/') ? token.replaceAll('~', '~0').replaceAll('/', '~1') : token;
}
