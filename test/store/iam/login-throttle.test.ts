import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../../src/store/iam/login-throttle.js';
import { call } from './support/http.js';
import { startIamServer, type IamTestServer } from './support/iam-server.js';

describe('LoginThrottle (delay maths on a fake clock)', () => {
  it('gives free failures, then a doubling delay capped at 5 s, per (peer, uid) and per peer', () => {
    let now = 0;
    const throttle = new LoginThrottle({ nowMs: () => now });
    const waitOf = (uid: string, peer: string): number => {
      try {
        throttle.assertAllowed(uid, peer);
        return 0;
      } catch (error) {
        return (error as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds;
      }
    };
    for (let failure = 1; failure <= 5; failure += 1) {
      expect(waitOf('alice', 'p1')).toBe(0);
      throttle.recordFailure('alice', 'p1');
    }
    // Sixth attempt right away: 250 ms to wait (reported as 1 s), then the delay doubles.
    expect(waitOf('alice', 'p1')).toBe(1);
    expect(waitOf('bob', 'p1')).toBe(0);
    // Issue 12.2: no per-uid lockout; the same uid from another address is not slowed.
    expect(waitOf('alice', 'p2')).toBe(0);
    const delays: number[] = [];
    for (let failure = 6; failure <= 12; failure += 1) {
      now += 10_000;
      throttle.recordFailure('alice', 'p1');
      let waited = 0;
      while (waitOf('alice', 'p1') > 0) {
        now += 50;
        waited += 50;
      }
      delays.push(waited);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
    throttle.recordSuccess('alice', 'p1');
    expect(waitOf('alice', 'p1')).toBe(0);
  });

  it('counts an attempt when it begins: a parallel burst is throttled before any check ends', () => {
    const throttle = new LoginThrottle({ nowMs: () => 0 });
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 100; attempt += 1) {
      try {
        throttle.beginAttempt(`user${attempt}`, 'burst');
        outcomes.push('begun');
      } catch {
        outcomes.push('429');
      }
    }
    expect(outcomes.filter((outcome) => outcome === 'begun')).toHaveLength(20);
    // A success gives back only its own attempt.
    throttle.recordSuccess('user0', 'burst');
    expect(() => throttle.assertAllowed('user0', 'burst')).not.toThrow();
    throttle.beginAttempt('user0', 'burst');
    expect(() => throttle.assertAllowed('user1', 'burst')).toThrow(
      expect.objectContaining({ code: 'ERR_AUTH_THROTTLED' }),
    );
  });

  it('forgets counters after 15 idle minutes', () => {
    let now = 0;
    const throttle = new LoginThrottle({ nowMs: () => now });
    for (let failure = 0; failure < 10; failure += 1) throttle.recordFailure('carol', 'p');
    expect(() => throttle.assertAllowed('carol', 'p')).toThrow(expect.objectContaining({ code: 'ERR_AUTH_THROTTLED' }));
    now += 15 * 60 * 1000 + 1;
    expect(() => throttle.assertAllowed('carol', 'p')).not.toThrow();
  });

  it('throttles a peer that sprays many uids, after 20 failures', () => {
    const throttle = new LoginThrottle({ nowMs: () => 0 });
    for (let failure = 0; failure < 20; failure += 1) throttle.recordFailure(`user${failure}`, 'sprayer');
    expect(() => throttle.assertAllowed('someone-new', 'sprayer')).toThrow(
      expect.objectContaining({ code: 'ERR_AUTH_THROTTLED' }),
    );
    expect(() => throttle.assertAllowed('someone-new', 'another-peer')).not.toThrow();
  });
});

describe('login throttling over HTTP', () => {
  let server: IamTestServer;
  let clockMs = Date.now();

  beforeAll(async () => {
    server = await startIamServer({ now: () => clockMs });
    await server.iam.createUser({ uid: 'alice', password: 'alice-password' });
    await server.iam.createUser({ uid: 'bob', password: 'bob-password' });
  });

  afterAll(async () => {
    await server.close();
  });

  const login = (uid: string, password: string) =>
    call(server.url, '/acs/api/v1/auth/login', { method: 'POST', json: { uid, password } });

  it('a burst of wrong passwords slows that uid; another uid still logs in at once; success resets', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 8; attempt += 1) statuses.push((await login('alice', 'wrong-password')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const throttled = await login('alice', 'alice-password');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(throttled.body).toMatchObject({ code: 'ERR_AUTH_THROTTLED' });

    expect((await login('bob', 'bob-password')).status).toBe(200);

    // Bounded: once the delay has passed, the right password works, and the counter is cleared.
    clockMs += 1000;
    expect((await login('alice', 'alice-password')).status).toBe(200);
    expect((await login('alice', 'wrong-password')).status).toBe(401);
    expect((await login('alice', 'alice-password')).status).toBe(200);
  });

  it('an unknown uid is throttled exactly like a known one (no existence oracle)', async () => {
    const known: Array<[number, unknown]> = [];
    const unknown: Array<[number, unknown]> = [];
    for (let attempt = 0; attempt < 7; attempt += 1) {
      const a = await login('bob', 'wrong-password');
      const b = await login('nobody-here', 'wrong-password');
      known.push([a.status, a.body]);
      unknown.push([b.status, b.body]);
    }
    expect(unknown).toEqual(known);
    expect(known.map(([status]) => status)).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });
});
