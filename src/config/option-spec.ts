// Declares one configuration option: its type, default, environment variable and validation.
export type OptionType = 'string' | 'integer' | 'boolean' | 'string-list';

export interface OptionSpec {
  readonly type: OptionType;
  /** Environment variable that sets it (lower precedence than a flag). */
  readonly env?: string;
  readonly default?: string | number | boolean | readonly string[];
  /** Extra check on the typed value; returns a problem description or undefined. */
  readonly check?: (value: unknown) => string | undefined;
  readonly description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export type ConfigValue = string | number | boolean | readonly string[];
export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

type ValueOf<Spec extends { readonly type: OptionType }> = Spec['type'] extends 'integer'
  ? number
  : Spec['type'] extends 'boolean'
    ? boolean
    : Spec['type'] extends 'string-list'
      ? readonly string[]
      : string;

// The frozen result: options with a default are always set; the others may be undefined.
export type ResolvedConfig<Specs extends OptionSpecs> = {
  readonly [Name in keyof Specs]: Specs[Name] extends { readonly default: unknown }
    ? ValueOf<Specs[Name]>
    : ValueOf<Specs[Name]> | undefined;
} & { readonly sources: Readonly<Record<string, ConfigSource>> };
