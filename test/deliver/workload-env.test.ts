import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { canaryValue } from '../helpers/canary.js';
import { createTestLogger } from '../helpers/log-capture.js';
import { agentSecretEnvNames, buildWorkloadEnv } from '../../src/deliver/workload-env.js';
import { startWorkload } from '../../src/supervisor/start-workload.js';
import { fixturePath } from '../supervisor/support/child-lines.js';

const agentEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/root',
  DCOS_SERVICE_ACCOUNT_CREDENTIAL: canaryValue,
  DCOS_SECRETS_PASSWORD: canaryValue,
  DCOS_SECRETS_USERNAME: 'agent',
  SECRETS_AGENT_TOKEN: canaryValue,
  ZK_AUTH: `digest:${canaryValue}`,
  AGENT_EXTRA_SECRET: canaryValue,
  UNSET: undefined,
};

describe('buildWorkloadEnv', () => {
  it("drops the agent's credentials and the caller's extra names, then adds plain and secret vars", () => {
    const env = buildWorkloadEnv({
      baseEnv: agentEnv,
      plainEnv: { MODE: 'plain', DB_PASSWORD: 'placeholder' },
      secretEnv: { DB_PASSWORD: canaryValue },
      removeNames: ['AGENT_EXTRA_SECRET'],
    });
    expect({ ...env }).toEqual({ PATH: '/usr/bin:/bin', HOME: '/root', MODE: 'plain', DB_PASSWORD: canaryValue });
    for (const name of agentSecretEnvNames) expect(env).not.toHaveProperty(name);
  });

  it('keeps an agent variable name when the app definition sets it explicitly', () => {
    const env = buildWorkloadEnv({ baseEnv: agentEnv, plainEnv: { DCOS_SECRETS_USERNAME: 'app-user' } });
    expect(env['DCOS_SECRETS_USERNAME']).toBe('app-user');
  });

  it('refuses a NUL in a value, naming the variable and never the value', () => {
    const attempt = () => buildWorkloadEnv({ baseEnv: {}, secretEnv: { DB_PASSWORD: `${canaryValue}\0tail` } });
    expect(attempt).toThrow(
      expect.objectContaining({ code: 'ERR_INPUT_INVALID', details: { source: 'secretEnv', name: 'DB_PASSWORD' } }),
    );
    expect(attempt).toThrow('Environment variable `DB_PASSWORD` in `secretEnv` contains a NUL byte');
    try {
      attempt();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(canaryValue);
      expect(JSON.stringify(error)).not.toContain(canaryValue);
    }
  });

  it('refuses names a POSIX environment cannot carry', () => {
    expect(() => buildWorkloadEnv({ baseEnv: {}, plainEnv: { 'A=B': 'x' } })).toThrow(
      expect.objectContaining({ code: 'ERR_INPUT_INVALID' }),
    );
    expect(() => buildWorkloadEnv({ baseEnv: {}, plainEnv: { '': 'x' } })).toThrow(
      expect.objectContaining({ code: 'ERR_INPUT_INVALID' }),
    );
  });

  it('treats `__proto__` as an ordinary name', () => {
    const env = buildWorkloadEnv({ baseEnv: {}, plainEnv: JSON.parse('{"__proto__":"x"}') as Record<string, string> });
    expect(Object.keys(env)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(env)).toBeNull();
  });

  it('is exactly what a real child sees', async () => {
    const env = buildWorkloadEnv({
      baseEnv: agentEnv,
      secretEnv: { DB_PASSWORD: canaryValue },
      removeNames: ['AGENT_EXTRA_SECRET'],
    });
    const handle = await startWorkload({
      command: process.execPath,
      args: [fixturePath('report-env.mjs')],
      env,
      stdio: 'pipe',
      log: createTestLogger(),
    });
    const [stdout] = await Promise.all([text(handle.stdout!), handle.exited]);
    expect((JSON.parse(stdout) as { env: unknown }).env).toEqual({ ...env });
  });
});
