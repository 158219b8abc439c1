import { describe, expect, it } from 'vitest';
import { defaultStateDir } from '../../src/auth/state-dir.js';

describe('defaultStateDir', () => {
  it('is /var/lib/secrets-agent for root', () => {
    expect(defaultStateDir({ uid: 0, env: { XDG_STATE_HOME: '/x' }, homeDir: '/root' })).toBe('/var/lib/secrets-agent');
  });

  it('follows XDG_STATE_HOME for other users, ignoring a relative value', () => {
    expect(defaultStateDir({ uid: 1000, env: { XDG_STATE_HOME: '/home/u/.state' }, homeDir: '/home/u' })).toBe(
      '/home/u/.state/secrets-agent',
    );
    expect(defaultStateDir({ uid: 1000, env: { XDG_STATE_HOME: 'relative' }, homeDir: '/home/u' })).toBe(
      '/home/u/.local/state/secrets-agent',
    );
    expect(defaultStateDir({ uid: 1000, env: {}, homeDir: '/home/u' })).toBe('/home/u/.local/state/secrets-agent');
  });
});
