import { createRequire } from 'node:module';
import type { Logger, DestinationStream, LevelWithSilent } from 'pino';
import { redactedKeys } from './redacted-keys.js';
import { resolveLogLevel } from './log-level.js';
import { serializeError } from './serialize-error.js';

export type { Logger } from 'pino';

// Redaction is by path (pino `redact`): a value under one of the keys of core/redacted-keys.ts prints as
// [Redacted]. Code must still never put a secret into a message string; this is the second line of defence.
export { redactedKeys };

// pino is required when the first pino logger is made, not when this module loads: `run` (its own
// fd logger, cli/fd-logger.ts) and the embedded store it opens with that logger would otherwise
// pay pino's ~15 ms of module loading at every start.
type Pino = typeof import('pino').pino;
let loadedPino: Pino | undefined;
function loadPino(): Pino {
  loadedPino ??= (createRequire(import.meta.url)('pino') as { pino: Pino }).pino;
  return loadedPino;
}

const redactPaths = redactedKeys.flatMap((name) => [name, `*.${name}`, `*.*.${name}`]);

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Defaults to stderr (fd 2), written synchronously so nothing is lost when the CLI exits. */
  destination?: DestinationStream;
  name?: string;
}

// Creates the project logger: JSON lines, object first and message second, secrets redacted.
export function createLogger(options: LoggerOptions = {}): Logger {
  const pino = loadPino();
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  return pino(
    {
      level: options.level ?? resolveLogLevel({ env: process.env, fallback: 'info' }),
      ...(options.name === undefined ? {} : { name: options.name }),
      redact: { paths: redactPaths, censor: '[Redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: serializeError },
    },
    destination,
  );
}

// A logger that drops everything; for library callers that pass none.
export function createSilentLogger(): Logger {
  return loadPino()({ level: 'silent' });
}
