import { describe, expect, it } from 'vitest';
import {
  assertPlanAcceptsValues,
  createDeliveryPlan,
  parseAppDefinition,
  validatePlanValues,
} from '../../src/appdef/index.js';
import { catchAgentError } from './support/issues.js';

const plan = createDeliveryPlan(
  parseAppDefinition({
    env: { KEYTAB: { secret: 'keytab' }, KEYTAB_AGAIN: { secret: 'keytab' }, PASSWORD: { secret: 'password' } },
    secrets: {
      keytab: { source: 'kerberos/keytab' },
      password: { source: 'db/password' },
      cert: { source: 'tls/cert' },
    },
    container: { volumes: [{ containerPath: 'cert.der', secret: 'cert' }] },
  }),
);

describe('assertPlanAcceptsValues', () => {
  it('reports every env var fed by a binary secret, with its pointer', () => {
    const fetched = new Map([
      ['kerberos/keytab', { type: 'binary' as const }],
      ['db/password', { type: 'text' as const }],
      ['tls/cert', { type: 'binary' as const }],
    ]);
    expect(validatePlanValues(plan, fetched)).toEqual([
      {
        pointer: '/env/KEYTAB',
        message:
          'secret "keytab" (source "kerberos/keytab") is binary and cannot be an environment variable; deliver it as a file',
      },
      {
        pointer: '/env/KEYTAB_AGAIN',
        message:
          'secret "keytab" (source "kerberos/keytab") is binary and cannot be an environment variable; deliver it as a file',
      },
    ]);
    const error = catchAgentError(() => assertPlanAcceptsValues(plan, fetched), 'ERR_APPDEF_INVALID');
    expect(error.message.split('\n')[0]).toBe('App definition cannot be delivered (2 issues):');
  });

  it('accepts text env secrets, binary files, and skips paths that were not fetched (optional and absent)', () => {
    expect(() =>
      assertPlanAcceptsValues(
        plan,
        new Map([
          ['db/password', { type: 'text' as const }],
          ['tls/cert', { type: 'binary' as const }],
        ]),
      ),
    ).not.toThrow();
  });
});
