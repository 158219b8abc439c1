import { describe, expect, it } from 'vitest';
import { chooseLoginEndpoint, storeUrlFromCredential } from '../../src/auth/login-endpoint.js';
import { parseServiceAccountCredential } from '../../src/auth/credential.js';
import { makeCredential } from './support/keys.js';

const credential = parseServiceAccountCredential(makeCredential(), 'test');

describe('chooseLoginEndpoint', () => {
  it('prefers the explicit --url host over the credential’s login_endpoint', () => {
    expect(chooseLoginEndpoint({ url: 'https://store.example:8443/', credential })).toBe(
      'https://store.example:8443/acs/api/v1/auth/login',
    );
  });

  it('uses the credential’s login_endpoint without a URL', () => {
    expect(chooseLoginEndpoint({ credential })).toBe('https://leader.mesos/acs/api/v1/auth/login');
  });

  it('needs one or the other', () => {
    expect(() => chooseLoginEndpoint({})).toThrow(/--url/);
  });
});

describe('storeUrlFromCredential', () => {
  it('strips the login path', () => {
    expect(storeUrlFromCredential(credential)).toBe('https://leader.mesos');
    const prefixed = parseServiceAccountCredential(
      makeCredential({ login_endpoint: 'https://proxy.example/dcos/acs/api/v1/auth/login' }),
      'test',
    );
    expect(storeUrlFromCredential(prefixed)).toBe('https://proxy.example/dcos');
  });
});
