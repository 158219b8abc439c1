import { createLogger, type Logger } from '../core/log.js';
import { resolveLogLevel } from '../core/log-level.js';
import type { CliIo } from './io.js';

// The logger of short admin commands (`secret`, `login`): warnings only unless
// SECRETS_AGENT_LOG_LEVEL asks for more; JSON lines on stderr, secret-bearing fields redacted.
export function createCliLogger(io: CliIo): Logger {
  const level = resolveLogLevel({ env: io.env, fallback: 'warn' });
  return createLogger({ level, name: 'secrets-agent', ...(io.stderrFd === 2 ? {} : { destination: io.stderr }) });
}
