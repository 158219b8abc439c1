import { describe, expect, it } from 'vitest';
import { defaultStatusSocket } from '../../src/daemon/status-types.js';

describe('defaultStatusSocket', () => {
  it('is /run/secrets-agent/daemon.sock for root, whatever the environment says', () => {
    expect(defaultStatusSocket({ uid: 0, env: { XDG_RUNTIME_DIR: '/run/user/0' } })).toBe(
      '/run/secrets-agent/daemon.sock',
    );
  });

  it('lives under $XDG_RUNTIME_DIR for other users', () => {
    expect(defaultStatusSocket({ uid: 1000, env: { XDG_RUNTIME_DIR: '/run/user/1000' } })).toBe(
      '/run/user/1000/secrets-agent/daemon.sock',
    );
  });

  it('falls back to a per-uid directory under /tmp without a usable XDG_RUNTIME_DIR', () => {
    expect(defaultStatusSocket({ uid: 1000, env: {} })).toBe('/tmp/secrets-agent-1000/daemon.sock');
    // The XDG spec: relative values are invalid and ignored.
    expect(defaultStatusSocket({ uid: 1000, env: { XDG_RUNTIME_DIR: 'run/user' } })).toBe(
      '/tmp/secrets-agent-1000/daemon.sock',
    );
  });
});
