// The library entry: exactly these runtime exports (a change here is an API change: update the README).
import { describe, expect, it } from 'vitest';
import * as library from '../../src/index.js';

describe('src/index.ts', () => {
  it('exports exactly the documented runtime API', () => {
    expect(Object.keys(library).sort()).toEqual([
      'SecretsAgentError',
      'backoffCeilingMs',
      'chooseLoginEndpoint',
      'clearSession',
      'createChangeFeedClient',
      'createHttpTransport',
      'createIamClient',
      'createSecretsClient',
      'createSecretsHttpApi',
      'createServiceLoginToken',
      'createTokenProvider',
      'credentialEnvVar',
      'defaultStateDir',
      'encodeRid',
      'errorCodes',
      'fullJitterDelayMs',
      'isErrorCode',
      'isRetryableError',
      'isSecretsAgentError',
      'loadServiceAccountCredential',
      'loadSession',
      'loginPath',
      'parseRetryAfterMs',
      'parseServiceAccountCredential',
      'passwordEnvVar',
      'readTokenTimes',
      'resolveAuthMethod',
      'resolveBackoff',
      'retryWithBackoff',
      'saveSession',
      'serviceLoginTokenLifetimeSeconds',
      'sessionFileName',
      'storeUrlFromCredential',
      'usernameEnvVar',
      'watchSecretChanges',
    ]);
  });

  it('lets callers match errors on code', () => {
    let caught: unknown;
    try {
      library.createSecretsClient({ url: 'https://master.mesos' });
    } catch (error) {
      caught = error;
    }
    expect(library.isSecretsAgentError(caught, 'ERR_USAGE')).toBe(true);
    expect(caught).toBeInstanceOf(library.SecretsAgentError);
    expect(library.errorCodes.ERR_SECRET_NOT_FOUND.httpStatus).toBe(404);
  });
});
