// Relative paths from app definitions (`containerPath`, `mountPath`, file names) turned into safe segments.
import { describeValue } from '../config/describe-value.js';
import { SecretsAgentError } from '../core/errors.js';

// Splits a relative path into segments; refuses absolute paths, `..`, NUL and empty paths.
// `.` and repeated slashes are dropped, so `./a//b` is `a/b`.
export function parseRelativePath(relativePath: unknown, option = 'relativePath'): string[] {
  if (typeof relativePath !== 'string' || relativePath === '' || relativePath.includes('\0')) {
    throw invalid(option, 'to be a non-empty string without NUL', relativePath);
  }
  if (relativePath.startsWith('/')) throw invalid(option, 'to be relative', relativePath);
  const segments = relativePath.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw invalid(option, 'to stay inside its directory (no `..`)', relativePath);
  if (segments.length === 0) throw invalid(option, 'to name a file', relativePath);
  return segments;
}

function invalid(option: string, expectation: string, value: unknown): SecretsAgentError {
  return new SecretsAgentError(
    'ERR_INPUT_INVALID',
    `Expected \`${option}\` ${expectation}, got ${describeValue(value)}`,
    {
      details: { option },
    },
  );
}
