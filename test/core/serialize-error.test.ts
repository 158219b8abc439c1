// The log form of an error, shared by pino and run's fd logger.
import { describe, expect, it } from 'vitest';
import { SecretsAgentError } from '../../src/core/errors.js';
import { serializeError } from '../../src/core/serialize-error.js';

describe('serializeError', () => {
  it('keeps name, code, message and details along the cause chain, and nothing else', () => {
    const root = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', body: 'request body' });
    const error = new SecretsAgentError('ERR_STORE_UNREACHABLE', 'store unreachable', {
      details: { url: 'http://127.0.0.1:1' },
      cause: root,
    });
    expect(serializeError(error)).toEqual({
      type: 'SecretsAgentError',
      code: 'ERR_STORE_UNREACHABLE',
      message: 'store unreachable',
      details: { url: 'http://127.0.0.1:1' },
      cause: { type: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' },
    });
  });

  it('turns a thrown non-object into a message and stops at an error that is its own cause', () => {
    expect(serializeError('plain text')).toEqual({ message: 'plain text' });
    expect(serializeError(undefined)).toEqual({ message: 'undefined' });
    const loop = new Error('loop');
    (loop as { cause?: unknown }).cause = loop;
    expect(serializeError(loop)).toEqual({ type: 'Error', code: undefined, message: 'loop' });
  });
});
