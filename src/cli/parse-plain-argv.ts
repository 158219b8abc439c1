// The plain argv of one command, parsed without yargs: loading and running yargs (its help text is
// rendered on every run) cost about a third of `secrets-agent run`'s own start-up time, and `run`
// starts a workload. Only the unambiguous common shape is accepted: `--name value`, `--name=value`,
// `--flag` / `--no-flag`, then `--` and the rest. Anything else (help, an unknown or repeated
// option, a short flag, a positional before `--`, a missing value or choice) returns undefined,
// and the caller hands the argv to yargs, which gives the same result or the one usage error.

/** The part of a yargs option definition this parser understands. */
export interface PlainOptionSpec {
  readonly type: 'string' | 'boolean';
  readonly array?: boolean;
  readonly default?: unknown;
  readonly choices?: readonly string[];
  readonly demandOption?: boolean;
}

/** What yargs would pass the command handler: kebab-case keys, defaults applied, `_` = command then the words after `--`. */
export type PlainArgv = Record<string, unknown> & { readonly _: readonly string[] };

// Parses `[command, ...options, '--', ...rest]`; undefined when yargs must decide.
export function parsePlainArgv(
  argv: readonly string[],
  options: Readonly<Record<string, PlainOptionSpec>>,
): PlainArgv | undefined {
  const [command, ...tokens] = argv;
  if (command === undefined) return undefined;
  const parsed: Record<string, unknown> = {};
  let index = 0;
  for (; index < tokens.length; index += 1) {
    const token = tokens[index] as string;
    if (token === '--') break;
    if (!token.startsWith('--') || token.length === 2) return undefined;
    const equals = token.indexOf('=');
    const name = token.slice(2, equals === -1 ? undefined : equals);
    const negated = name.startsWith('no-') ? name.slice(3) : undefined;
    const spec = options[name] ?? (negated === undefined ? undefined : options[negated]);
    if (spec === undefined) return undefined;
    if (spec.type === 'boolean') {
      // `--flag=false` and `--flag false` are yargs's to read.
      if (equals !== -1) return undefined;
      const key = options[name] === undefined ? (negated as string) : name;
      if (Object.hasOwn(parsed, key)) return undefined;
      parsed[key] = options[name] !== undefined;
      continue;
    }
    if (options[name] === undefined) return undefined;
    let value: string | undefined;
    if (equals !== -1) {
      value = token.slice(equals + 1);
    } else {
      index += 1;
      value = tokens[index];
    }
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (spec.choices !== undefined && !spec.choices.includes(value)) return undefined;
    if (spec.array === true) {
      const values = (parsed[name] as string[] | undefined) ?? [];
      values.push(value);
      parsed[name] = values;
    } else {
      if (Object.hasOwn(parsed, name)) return undefined;
      parsed[name] = value;
    }
  }
  for (const [name, spec] of Object.entries(options)) {
    if (Object.hasOwn(parsed, name)) continue;
    if (spec.demandOption === true) return undefined;
    if (spec.default !== undefined) parsed[name] = spec.default;
  }
  return { ...parsed, _: [command, ...tokens.slice(index + 1)] };
}
