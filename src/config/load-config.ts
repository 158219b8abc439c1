import { readFileSync } from 'node:fs';
import { SecretsAgentError } from '../core/errors.js';
import type { ConfigSource, ConfigValue, OptionSpec, OptionSpecs, ResolvedConfig } from './option-spec.js';
import { describeValue } from './describe-value.js';

export interface LoadConfigOptions<Specs extends OptionSpecs> {
  readonly specs: Specs;
  /** JSON config file; its keys are option names. Unknown keys are errors. */
  readonly file?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Parsed flags; `undefined` means "not given". */
  readonly flags?: Readonly<Record<string, unknown>>;
}

interface Issue {
  readonly where: string;
  readonly message: string;
}

// Resolves defaults < file < env < flags into one validated, frozen object; every problem is
// reported at once, each naming where it came from (file pointer, variable or flag).
export function loadConfig<Specs extends OptionSpecs>(options: LoadConfigOptions<Specs>): ResolvedConfig<Specs> {
  const issues: Issue[] = [];
  const values: Record<string, ConfigValue | undefined> = {};
  const sources: Record<string, ConfigSource> = {};
  const fileValues = options.file === undefined ? {} : readConfigFile(options.file, options.specs, issues);

  for (const [name, spec] of Object.entries(options.specs)) {
    const layers: Array<[ConfigSource, string, unknown]> = [];
    if (spec.default !== undefined) layers.push(['default', name, spec.default]);
    if (name in fileValues) layers.push(['file', `${options.file ?? ''}#/${name}`, fileValues[name]]);
    const envValue = spec.env === undefined ? undefined : options.env?.[spec.env];
    if (spec.env !== undefined && envValue !== undefined && envValue !== '') layers.push(['env', spec.env, envValue]);
    const flagValue = options.flags?.[name];
    if (flagValue !== undefined) layers.push(['flag', `--${toKebab(name)}`, flagValue]);
    const top = layers.at(-1);
    if (top === undefined) continue;
    const [source, where, raw] = top;
    const typed = coerce(raw, spec, source);
    if (typeof typed === 'object' && typed !== null && 'problem' in typed) {
      issues.push({ where, message: typed.problem });
      continue;
    }
    const problem = spec.check?.(typed);
    if (problem !== undefined) {
      issues.push({ where, message: problem });
      continue;
    }
    values[name] = typed;
    sources[name] = source;
  }
  if (issues.length > 0) {
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `invalid configuration:\n${issues.map((issue) => `  ${issue.where}: ${issue.message}`).join('\n')}`,
      {
        details: { issues },
      },
    );
  }
  return Object.freeze({ ...values, sources: Object.freeze(sources) }) as ResolvedConfig<Specs>;
}

function readConfigFile(file: string, specs: OptionSpecs, issues: Issue[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SecretsAgentError('ERR_CONFIG_INVALID', `cannot read config file ${file}`, {
      cause: error,
      details: { file },
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `config file ${file} is not valid JSON: ${(error as Error).message}`,
      { details: { file } },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `config file ${file} must hold a JSON object, got ${describeValue(parsed)}`,
      { details: { file } },
    );
  }
  const record = parsed as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(key in specs))
      issues.push({ where: `${file}#/${key}`, message: `unknown option; known: ${Object.keys(specs).join(', ')}` });
  }
  return record;
}

function coerce(raw: unknown, spec: OptionSpec, source: ConfigSource): ConfigValue | { problem: string } {
  const fromText = source === 'env' && typeof raw === 'string';
  switch (spec.type) {
    case 'string':
      return typeof raw === 'string' ? raw : { problem: `Expected a string, got ${describeValue(raw)}` };
    case 'integer': {
      const value = fromText && /^-?\d+$/.test(raw) ? Number(raw) : raw;
      return typeof value === 'number' && Number.isSafeInteger(value)
        ? value
        : { problem: `Expected an integer, got ${describeValue(raw)}` };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (fromText && ['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
      if (fromText && ['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
      return { problem: `Expected a boolean, got ${describeValue(raw)}` };
    }
    case 'string-list': {
      if (fromText)
        return raw
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== '');
      if (Array.isArray(raw) && raw.every((item): item is string => typeof item === 'string'))
        return Object.freeze([...raw]);
      return { problem: `Expected a list of strings, got ${describeValue(raw)}` };
    }
  }
}

function toKebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
