import { describe, expect, it } from 'vitest';
import { createDeliveryPlan, listContainerNames, parseAppDefinition } from '../../src/appdef/index.js';
import { catchAgentError } from './support/issues.js';

const podDefinition = parseAppDefinition({
  id: '/shop/cart',
  environment: { SHARED: 'pod', DB_PASSWORD: { secret: 'db' }, API_KEY: { secret: 'api' } },
  secrets: { db: { source: 'shop/db' }, api: { source: 'shop/api-key' }, tls: { source: 'shop/tls' } },
  volumes: [{ name: 'tls', secret: 'tls' }],
  containers: [
    {
      name: 'web',
      environment: { SHARED: 'web', API_KEY: 'plain-in-web' },
      volumeMounts: [{ name: 'tls', mountPath: 'tls/cert.pem' }],
    },
    { name: 'worker', environment: { SHARED: { secret: 'api' } } },
  ],
});

describe('createDeliveryPlan', () => {
  it('plans an app: env sorted by name, files sorted by path, each source path once', () => {
    const definition = parseAppDefinition({
      id: '/billing/api',
      env: {
        Z_TOKEN: { secret: 'token' },
        A_TOKEN: { secret: 'token' },
        ALIAS: { secret: 'sameSource' },
        LOG_LEVEL: 'debug',
      },
      secrets: {
        token: { source: 'billing/token' },
        sameSource: { source: 'billing/token' },
        cert: { source: 'billing/cert' },
      },
      container: {
        volumes: [
          { containerPath: 'z/token', secret: 'token' },
          { containerPath: 'certs/cert.pem', secret: 'cert' },
        ],
      },
    });
    const plan = createDeliveryPlan(definition);
    expect(plan).toEqual({
      kind: 'app',
      appId: '/billing/api',
      containerName: undefined,
      env: [
        {
          name: 'ALIAS',
          secretName: 'sameSource',
          sourcePath: 'billing/token',
          optional: false,
          pointer: '/env/ALIAS',
        },
        { name: 'A_TOKEN', secretName: 'token', sourcePath: 'billing/token', optional: false, pointer: '/env/A_TOKEN' },
        { name: 'Z_TOKEN', secretName: 'token', sourcePath: 'billing/token', optional: false, pointer: '/env/Z_TOKEN' },
      ],
      plainEnv: { LOG_LEVEL: 'debug' },
      files: [
        {
          relativePath: 'certs/cert.pem',
          secretName: 'cert',
          sourcePath: 'billing/cert',
          optional: false,
          pointer: '/container/volumes/1/containerPath',
        },
        {
          relativePath: 'z/token',
          secretName: 'token',
          sourcePath: 'billing/token',
          optional: false,
          pointer: '/container/volumes/0/containerPath',
        },
      ],
      secretPaths: ['billing/cert', 'billing/token'],
      optionalPaths: [],
      onChange: { action: 'signal', signal: 'SIGHUP' },
    });
    expect(
      Object.isFrozen(plan) &&
        Object.isFrozen(plan.env) &&
        Object.isFrozen(plan.plainEnv) &&
        Object.isFrozen(plan.secretPaths),
    ).toBe(true);
  });

  it('leaves out secrets nothing uses', () => {
    const plan = createDeliveryPlan(
      parseAppDefinition({ secrets: { unused: { source: 'x/unused' } }, env: { A: 'b' } }),
    );
    expect(plan.secretPaths).toEqual([]);
  });

  it('marks a path optional only when every use of it is optional', () => {
    const definition = parseAppDefinition(
      {
        env: { A: { secret: 'maybe' }, B: { secret: 'maybeToo' }, C: { secret: 'must' } },
        secrets: { maybe: { source: 'shared' }, maybeToo: { source: 'only-optional' }, must: { source: 'shared' } },
        labels: { SECRETS_AGENT_OPTIONAL: 'maybeToo' },
      },
      { optional: ['maybe'] },
    );
    const plan = createDeliveryPlan(definition);
    expect(plan.secretPaths).toEqual(['only-optional', 'shared']);
    expect(plan.optionalPaths).toEqual(['only-optional']);
    expect(plan.env.map((variable) => [variable.name, variable.optional])).toEqual([
      ['A', true],
      ['B', true],
      ['C', false],
    ]);
  });

  it('keeps plain variables in a null-prototype record (a `__proto__` variable is just a variable)', () => {
    const plan = createDeliveryPlan(parseAppDefinition(JSON.parse('{"env": {"__proto__": "x", "toString": "y"}}')));
    expect(Object.getPrototypeOf(plan.plainEnv)).toBeNull();
    expect(Object.entries(plan.plainEnv)).toEqual([
      ['__proto__', 'x'],
      ['toString', 'y'],
    ]);
  });

  it('merges pod-level and container environments, the container winning by name', () => {
    const web = createDeliveryPlan(podDefinition, { containerName: 'web' });
    expect(web.containerName).toBe('web');
    expect(web.plainEnv).toEqual({ SHARED: 'web', API_KEY: 'plain-in-web' });
    expect(web.env.map((variable) => [variable.name, variable.sourcePath, variable.pointer])).toEqual([
      ['DB_PASSWORD', 'shop/db', '/environment/DB_PASSWORD'],
    ]);
    expect(web.files.map((file) => [file.relativePath, file.sourcePath])).toEqual([['tls/cert.pem', 'shop/tls']]);
    expect(web.secretPaths).toEqual(['shop/db', 'shop/tls']);

    const worker = createDeliveryPlan(podDefinition, { containerName: 'worker' });
    expect({ ...worker.plainEnv }).toEqual({});
    expect(worker.env.map((variable) => [variable.name, variable.sourcePath, variable.pointer])).toEqual([
      ['API_KEY', 'shop/api-key', '/environment/API_KEY'],
      ['DB_PASSWORD', 'shop/db', '/environment/DB_PASSWORD'],
      ['SHARED', 'shop/api-key', '/containers/1/environment/SHARED'],
    ]);
    expect(worker.files).toEqual([]);
    expect(worker.secretPaths).toEqual(['shop/api-key', 'shop/db']);
  });

  it('needs a container name for a pod with several containers, and lists the names', () => {
    const missing = catchAgentError(() => createDeliveryPlan(podDefinition), 'ERR_USAGE');
    expect(missing.message).toBe('Expected `containerName` (--container) for a pod with 2 containers: "web", "worker"');
    const unknown = catchAgentError(() => createDeliveryPlan(podDefinition, { containerName: 'db' }), 'ERR_USAGE');
    expect(unknown.message).toBe('Expected `containerName` to be one of "web", "worker", got "db"');
    expect(unknown.details).toEqual({ option: 'containerName', containers: ['web', 'worker'] });
    expect(listContainerNames(podDefinition)).toEqual(['web', 'worker']);
  });

  it('takes the only container of a pod without being told', () => {
    const definition = parseAppDefinition({ id: '/p', containers: [{ name: 'only', environment: { A: 'b' } }] });
    expect(createDeliveryPlan(definition).containerName).toBe('only');
  });

  it('refuses a container name for an app', () => {
    const error = catchAgentError(
      () => createDeliveryPlan(parseAppDefinition({}), { containerName: 'web' }),
      'ERR_USAGE',
    );
    expect(error.message).toBe('Expected `containerName` only for pods, got "web" for an app');
    expect(listContainerNames(parseAppDefinition({}))).toEqual([]);
  });

  it('carries the on-change reaction', () => {
    expect(createDeliveryPlan(podDefinition, { containerName: 'web' }).onChange).toEqual({
      action: 'signal',
      signal: 'SIGHUP',
    });
    expect(createDeliveryPlan(parseAppDefinition({ labels: { SECRETS_AGENT_ON_CHANGE: 'restart' } })).onChange).toEqual(
      { action: 'restart' },
    );
  });
});
