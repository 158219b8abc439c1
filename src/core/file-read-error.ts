// The one shape of "could not read that file": `<label>: cannot read (<errno>)`, under the caller's
// code (a config file is ERR_CONFIG_INVALID, an input file ERR_INPUT_INVALID, a key ERR_PGP_KEY_INVALID),
// with the fs error as `cause`. The label names the flag and path; the file's content never appears.
import { SecretsAgentError, type ErrorCode } from './errors.js';

/** Wraps an fs read failure of the file `label` names into a SecretsAgentError carrying its errno. */
export function fileReadError(
  code: ErrorCode,
  label: string,
  cause: unknown,
  details?: Readonly<Record<string, unknown>>,
): SecretsAgentError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'error';
  return new SecretsAgentError(
    code,
    `${label}: cannot read (${errno})`,
    details === undefined ? { cause } : { details, cause },
  );
}
