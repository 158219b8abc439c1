// The `wait` parameter of a long poll: `60s`, `500ms`, `5m`, or a bare number of seconds (as
// Consul's blocking queries take it); capped, so a client cannot park a request for hours.
import { parseDurationMs } from '../../core/duration.js';
import { SecretsAgentError } from '../../core/errors.js';

export const defaultChangeWaitMs = 60_000;
export const maxChangeWaitMs = 5 * 60_000;

// The forms above only: `h` and `min`, which flags and config files take, `wait` refuses.
const waitUnits = ['ms', 's', 'm'] as const;

// Parses `wait` (undefined: the default); values above the cap are lowered to it.
export function parseWaitMs(text: string | undefined | null): number {
  if (text === undefined || text === null || text === '') return defaultChangeWaitMs;
  const ms = parseDurationMs(text, waitUnits);
  if (ms === undefined) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Expected \`wait\` to be a duration such as \`60s\`, \`500ms\` or \`5m\`, got ${JSON.stringify(text.slice(0, 40))}`,
      {
        details: { parameter: 'wait' },
      },
    );
  }
  return Math.min(ms, maxChangeWaitMs);
}
