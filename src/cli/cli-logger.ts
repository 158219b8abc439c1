import { createLogger, type Logger } from '../core/log.js';
import type { CliIo } from './io.js';

const logLevels = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

// The logger of short admin commands (`secret`, `login`): warnings only unless
// SECRETS_AGENT_LOG_LEVEL asks for more; JSON lines on stderr, secret-bearing fields redacted.
export function createCliLogger(io: CliIo): Logger {
  const wanted = io.env['SECRETS_AGENT_LOG_LEVEL'];
  const level = wanted !== undefined && logLevels.has(wanted) ? (wanted as 'warn') : 'warn';
  return createLogger({ level, name: 'secrets-agent', ...(io.stderrFd === 2 ? {} : { destination: io.stderr }) });
}
