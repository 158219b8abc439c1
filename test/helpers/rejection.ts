// One way for tests to look at a rejection: the SecretsAgentError a promise rejects with. A promise
// that resolves fails the test, and a foreign error is rethrown as it is, so its stack shows.
import { expect } from 'vitest';
import { isSecretsAgentError, type ErrorCode, type SecretsAgentError } from '../../src/core/errors.js';

/** The SecretsAgentError `promise` rejects with; throws when it resolves or rejects with anything else. */
export async function captureRejection(promise: Promise<unknown>): Promise<SecretsAgentError> {
  let settled: { readonly error: unknown } | undefined;
  try {
    await promise;
  } catch (error) {
    settled = { error };
  }
  if (settled === undefined) throw new Error('expected a rejection, but the promise resolved');
  if (isSecretsAgentError(settled.error)) return settled.error;
  throw settled.error;
}

/** Asserts that `promise` rejects with a SecretsAgentError of `code`; returns the error for more checks. */
export async function expectRejection(promise: Promise<unknown>, code: ErrorCode): Promise<SecretsAgentError> {
  const error = await captureRejection(promise);
  expect(error.code, error.message).toBe(code);
  return error;
}
