// The change feed's index: an opaque `<epoch>.<counter>` string. The epoch is random per feed
// (per server process), so an index from another process or another instance behind a load
// balancer is recognised as foreign and answered with a reset instead of a wrong "nothing changed".
import { randomBytes } from 'node:crypto';
import { SecretsAgentError } from '../../core/errors.js';

export interface ChangeIndex {
  readonly epoch: string;
  readonly counter: number;
}

const indexPattern = /^([0-9a-f]{16})\.(0|[1-9][0-9]{0,15})$/;

// A fresh random epoch (64 bits, hex).
export function createChangeEpoch(): string {
  return randomBytes(8).toString('hex');
}

export function formatChangeIndex(epoch: string, counter: number): string {
  return `${epoch}.${counter}`;
}

// Parses a client's `index` query value; ERR_INPUT_INVALID for anything not produced by formatChangeIndex.
export function parseChangeIndex(text: string): ChangeIndex {
  const match = indexPattern.exec(text);
  const counter = Number(match?.[2]);
  if (match === null || !Number.isSafeInteger(counter)) {
    const shown = JSON.stringify(text.slice(0, 80));
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Expected \`index\` to be an index this API returned (\`<epoch>.<counter>\`), got ${shown}`,
      {
        details: { parameter: 'index' },
      },
    );
  }
  return { epoch: match[1] as string, counter };
}
