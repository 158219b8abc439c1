// Every field name that can carry a secret value, a token, a password or a private key: the one
// list both loggers redact (core/log.ts through pino's `redact`, cli/fd-logger.ts by hand). A file of
// its own so the fd logger can read it without loading pino.
export const redactedKeys = [
  'value',
  'values',
  'password',
  'token',
  'authorization',
  'Authorization',
  'private_key',
  'privateKey',
  'secret',
  'secrets',
  'unsealKey',
  'key',
  'env',
  'environment',
  'credential',
  'cookie',
] as const;
