// Durations and rates as operators write them in flags and config files: `500ms`, `60s`, `10m`,
// `1h` (a bare number is seconds), and restart budgets like `10/min`. One parser for flags, config
// files and the change feed's `wait` parameter, so they all read a duration the same way.
const unitsMs = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 } as const;

export type DurationUnit = keyof typeof unitsMs;

// Milliseconds of `text`, or undefined when it is not a duration (or uses a unit not in `units`).
export function parseDurationMs(text: string, units?: readonly DurationUnit[]): number | undefined {
  const match = /^(\d{1,9})(ms|s|m|min|h)?$/.exec(text.trim());
  if (match === null) return undefined;
  const unit = (match[2] ?? 's') as DurationUnit;
  if (units !== undefined && !units.includes(unit)) return undefined;
  return Number(match[1]) * unitsMs[unit];
}

export interface Rate {
  readonly count: number;
  readonly perMs: number;
}

// `N/s`, `N/min`, `N/h`, or `unlimited` (undefined rate); undefined result when unreadable.
export function parseRate(text: string): Rate | 'unlimited' | undefined {
  const trimmed = text.trim();
  if (trimmed === 'unlimited') return 'unlimited';
  const match = /^(\d{1,6})\/(s|min|m|h)$/.exec(trimmed);
  if (match === null) return undefined;
  const count = Number(match[1]);
  if (count < 1) return undefined;
  return { count, perMs: unitsMs[match[2] as DurationUnit] };
}
