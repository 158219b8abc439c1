import { expect } from 'vitest';
import { isSecretsAgentError, type SecretsAgentError } from '../../../src/core/errors.js';
import type { AppDefIssue } from '../../../src/appdef/index.js';

// Runs `action`, expects it to throw our error with `code`, and returns that error.
export function catchAgentError(action: () => unknown, code: SecretsAgentError['code']): SecretsAgentError {
  try {
    action();
  } catch (error) {
    expect(isSecretsAgentError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
    return error as SecretsAgentError;
  }
  throw new Error(`expected ${code}, but nothing was thrown`);
}

// The issues of an ERR_APPDEF_INVALID thrown by `action`.
export function issuesOf(action: () => unknown): AppDefIssue[] {
  const error = catchAgentError(action, 'ERR_APPDEF_INVALID');
  return error.details?.['issues'] as AppDefIssue[];
}
