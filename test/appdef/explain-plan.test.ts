import { describe, expect, it } from 'vitest';
import { createDeliveryPlan, explainPlan, formatPlanExplanation, parseAppDefinition } from '../../src/appdef/index.js';
import { canaryValue } from '../helpers/canary.js';

const plan = createDeliveryPlan(
  parseAppDefinition(
    {
      id: '/billing/api',
      env: {
        DB_PASSWORD: { secret: 'db' },
        DB_PASSWORD_OLD: { secret: 'dbAlias' },
        API_TOKEN: { secret: 'token' },
        PLAIN_SECRETISH: canaryValue,
      },
      secrets: { db: { source: 'billing/db' }, dbAlias: { source: 'billing/db' }, token: { source: 'billing/token' } },
      container: { volumes: [{ containerPath: 'secrets/db', secret: 'db' }] },
      labels: { SECRETS_AGENT_ON_CHANGE: 'signal:SIGUSR2' },
    },
    { optional: ['token'] },
  ),
);

describe('explainPlan', () => {
  it('groups env vars and files by secret path', () => {
    expect(explainPlan(plan)).toEqual({
      kind: 'app',
      appId: '/billing/api',
      containerName: undefined,
      onChange: 'signal:SIGUSR2',
      secrets: [
        {
          sourcePath: 'billing/db',
          optional: false,
          secretNames: ['db', 'dbAlias'],
          envNames: ['DB_PASSWORD', 'DB_PASSWORD_OLD'],
          files: ['secrets/db'],
        },
        { sourcePath: 'billing/token', optional: true, secretNames: ['token'], envNames: ['API_TOKEN'], files: [] },
      ],
      plainEnvNames: ['PLAIN_SECRETISH'],
    });
  });

  it('formats lines for the terminal, naming plain variables but not their values', () => {
    const text = formatPlanExplanation(explainPlan(plan));
    expect(text).toBe(
      [
        'app /billing/api, on change: signal:SIGUSR2',
        'secret billing/db [db, dbAlias]',
        '  env  DB_PASSWORD',
        '  env  DB_PASSWORD_OLD',
        '  file secrets/db',
        'secret billing/token (optional) [token]',
        '  env  API_TOKEN',
        'plain env: PLAIN_SECRETISH',
      ].join('\n'),
    );
    expect(JSON.stringify(explainPlan(plan))).not.toContain(canaryValue);
  });

  it('says when there is nothing to deliver, and names the pod container', () => {
    const podPlan = createDeliveryPlan(parseAppDefinition({ containers: [{ name: 'solo' }] }));
    expect(formatPlanExplanation(explainPlan(podPlan))).toBe(
      'pod (no id) (container solo), on change: signal:SIGHUP\nno secrets',
    );
  });
});
