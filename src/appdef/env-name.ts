// Environment variable names. Pods use Marathon's strict rule for every name; apps (LegacyEnvVars)
// allow any name, but a secret-backed one must be a POSIX name, and every name must fit in an environment.

const posixNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Marathon's strict names are at most 254 characters (EnvVarValidation). */
const maxStrictNameChars = 254;
/** Marathon's own wording (EnvVarValidation.scala). */
export const envNameRuleMessage =
  'must contain only alphanumeric chars or underscore, and must not begin with a number';

export type EnvNameRule = 'strict' | 'posix' | 'legacy';

// Says what is wrong with `name` under `rule`, or undefined when it is fine.
export function describeEnvNameProblem(name: string, rule: EnvNameRule): string | undefined {
  if (name === '') return 'must not be empty';
  if (rule === 'legacy') {
    return name.includes('=') || name.includes('\0')
      ? 'cannot name an environment variable (contains "=" or NUL)'
      : undefined;
  }
  if (!posixNamePattern.test(name)) return envNameRuleMessage;
  if (rule === 'strict' && name.length > maxStrictNameChars)
    return `${envNameRuleMessage} (at most ${maxStrictNameChars} characters)`;
  return undefined;
}
