// The one resolver of a log level: a flag, else SECRETS_AGENT_LOG_LEVEL, else the command's
// default. A bad value is a configuration error (exit 78), not an internal one: the shipped
// systemd unit does not restart on 78, so a typo stops the service instead of looping.
import { SecretsAgentError } from './errors.js';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
export const logLevelEnvVar = 'SECRETS_AGENT_LOG_LEVEL';

export interface ResolveLogLevelOptions {
  /** The `--log-level` flag, when given. */
  readonly flag?: unknown;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly fallback: LogLevel;
}

// Returns the level to log at; throws ERR_CONFIG_INVALID naming the flag or variable that is wrong.
export function resolveLogLevel(options: ResolveLogLevelOptions): LogLevel {
  if (options.flag !== undefined && options.flag !== '') return parseLogLevel(options.flag, '--log-level');
  const fromEnv = options.env?.[logLevelEnvVar];
  if (fromEnv !== undefined && fromEnv !== '') return parseLogLevel(fromEnv, logLevelEnvVar);
  return options.fallback;
}

// Turns an untrusted value into a level, or throws naming where it came from.
export function parseLogLevel(value: unknown, source: string): LogLevel {
  if (typeof value === 'string' && (logLevels as readonly string[]).includes(value)) return value as LogLevel;
  throw new SecretsAgentError(
    'ERR_CONFIG_INVALID',
    `Expected \`${source}\` to be one of ${logLevels.join(', ')}, got \`${String(value).slice(0, 40)}\` (${typeof value})`,
    { details: { source } },
  );
}
