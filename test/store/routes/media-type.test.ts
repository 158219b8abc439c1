import { describe, expect, it } from 'vitest';
import { isSecretsAgentError } from '../../../src/core/errors.js';
import { chooseResponseType, parseRequestContentType } from '../../../src/store/routes/media-type.js';

function code(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return isSecretsAgentError(error) ? error.code : 'other';
  }
}

describe('request Content-Type', () => {
  it('none or JSON (any parameters, any case) is text; octet-stream is binary; others are refused', () => {
    expect(parseRequestContentType(undefined)).toBe('text');
    expect(parseRequestContentType('')).toBe('text');
    expect(parseRequestContentType('application/json; charset=utf-8')).toBe('text');
    expect(parseRequestContentType('Application/JSON')).toBe('text');
    expect(parseRequestContentType('application/octet-stream')).toBe('binary');
    expect(code(() => parseRequestContentType('text/plain'))).toBe('ERR_CONTENT_TYPE_UNSUPPORTED');
    expect(code(() => parseRequestContentType('multipart/form-data; boundary=x'))).toBe('ERR_CONTENT_TYPE_UNSUPPORTED');
  });
});

describe('response form from Accept', () => {
  it('answers in the stored form when Accept allows it', () => {
    for (const accept of [undefined, '', '*/*', 'application/*', 'application/json, application/octet-stream']) {
      expect(chooseResponseType(accept, 'text', 'p')).toBe('text');
      expect(chooseResponseType(accept, 'binary', 'p')).toBe('binary');
    }
  });

  it('follows explicit preferences for text, never sends binary as JSON', () => {
    expect(chooseResponseType('application/octet-stream', 'text', 'p')).toBe('binary');
    expect(chooseResponseType('application/json;q=0.1, application/octet-stream;q=0.9', 'text', 'p')).toBe('binary');
    expect(chooseResponseType('*/*;q=0.5, application/json;q=0', 'text', 'p')).toBe('binary');
    expect(code(() => chooseResponseType('application/json', 'binary', 'p'))).toBe('ERR_ACCEPT_UNSUPPORTED');
    expect(code(() => chooseResponseType('application/octet-stream;q=0, */*', 'binary', 'p'))).toBe(
      'ERR_ACCEPT_UNSUPPORTED',
    );
    expect(code(() => chooseResponseType('text/html', 'text', 'p'))).toBe('ERR_ACCEPT_UNSUPPORTED');
  });
});
