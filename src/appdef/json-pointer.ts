// RFC 6901 JSON pointers for issue locations: `/env/DB_PASSWORD/secret`, `/secrets/a~1b/source`.

// Builds a pointer from raw tokens, escaping `~` as `~0` and `/` as `~1` (in that order).
export function formatJsonPointer(tokens: readonly (string | number)[]): string {
  return tokens.map((token) => `/${escapeToken(String(token))}`).join('');
}

// Appends raw tokens to an already formatted pointer.
export function appendJsonPointer(pointer: string, ...tokens: readonly (string | number)[]): string {
  return pointer + formatJsonPointer(tokens);
}

function escapeToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}
