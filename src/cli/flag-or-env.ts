// Settings of the long-running commands (`store serve`, `daemon`) come from a flag or, when the
// flag is absent, an environment variable (systemd `Environment=`, a container's env). --help
// names the variable; the flag wins; an empty variable counts as unset.
import { SecretsAgentError } from '../core/errors.js';

type Env = Readonly<Record<string, string | undefined>>;

// Returns the options with ` [env: NAME]` added to the description of each one that has a variable.
export function describeEnvNames<T extends Record<string, { readonly describe: string }>>(
  options: T,
  envNames: Readonly<Partial<Record<keyof T, string>>>,
): T {
  return Object.fromEntries(
    Object.entries(options).map(([key, option]) => {
      const name = envNames[key as keyof T];
      return [key, name === undefined ? option : { ...option, describe: `${option.describe} [env: ${name}]` }];
    }),
  ) as T;
}

// The flag's text, else the variable's, else undefined.
export function readTextSetting(flag: unknown, env: Env, envName: string): string | undefined {
  if (typeof flag === 'string' && flag !== '') return flag;
  const text = env[envName];
  return text === undefined || text === '' ? undefined : text;
}

// The flag's boolean, else the variable's (`true`/`1`/`yes` or `false`/`0`/`no`), else undefined.
export function readBooleanSetting(flag: unknown, env: Env, envName: string): boolean | undefined {
  if (typeof flag === 'boolean') return flag;
  const text = env[envName]?.trim().toLowerCase();
  if (text === undefined || text === '') return undefined;
  if (text === 'true' || text === '1' || text === 'yes') return true;
  if (text === 'false' || text === '0' || text === 'no') return false;
  throw new SecretsAgentError(
    'ERR_CONFIG_INVALID',
    `Expected \`${envName}\` to be true or false, got \`${text.slice(0, 40)}\` (string)`,
    { details: { source: envName } },
  );
}

// The flag's list (repeatable flag), else the variable's words (separated by spaces or commas).
export function readListSetting(flag: unknown, env: Env, envName: string): string[] | undefined {
  if (Array.isArray(flag) && flag.length > 0) return flag.map(String);
  const words = (env[envName] ?? '').split(/[\s,]+/).filter((word) => word !== '');
  return words.length === 0 ? undefined : words;
}
