// How an error appears in a log line, for pino (core/log.ts) and run's fd logger
// (cli/fd-logger.ts) alike: name, code, message and details, along the cause chain. Stacks and
// any other field are left out: third-party errors (undici, openpgp) are not ours to trust with
// secrets beyond their message.
export function serializeError(error: unknown): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const { name, code, message, details, cause } = error as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    details?: unknown;
    cause?: unknown;
  };
  const out: Record<string, unknown> = { type: name, code, message };
  if (details !== undefined) out['details'] = details;
  if (cause !== undefined && cause !== error) out['cause'] = serializeError(cause);
  return out;
}
