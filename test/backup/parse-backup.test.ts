import { describe, expect, it } from 'vitest';
import { parseBackup } from '../../src/backup/index.js';
import { isSecretsAgentError, SecretsAgentError } from '../../src/core/errors.js';
import { canaryValue } from '../helpers/canary.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

function issuesOf(input: string, options: Partial<Parameters<typeof parseBackup>[1]> = {}): string[] {
  try {
    parseBackup(input, { source: 'f.json', ...options });
  } catch (error) {
    if (!isSecretsAgentError(error, 'ERR_INPUT_INVALID')) throw error;
    expect(error.message).not.toContain(canaryValue);
    return (error.details?.['issues'] as string[] | undefined) ?? [error.message];
  }
  throw new Error('expected ERR_INPUT_INVALID');
}

describe('parseBackup', () => {
  it('reads a dcos-migrate backup (cluster_id, extra GET fields) into entries', () => {
    const document = parseBackup(
      JSON.stringify({
        cluster_id: 'abc',
        secrets: [
          {
            path: '',
            key: 'key1',
            type: 'text',
            value: b64('v1'),
            author: 'bootstrapuser',
            created: '2021-01-01T00:00:00Z',
          },
          { path: 'folder', key: 'key3', type: 'binary', value: Buffer.from([0, 255]).toString('base64') },
        ],
      }),
      { source: 'f.json' },
    );
    expect(document.clusterId).toBe('abc');
    expect(document.secrets[0]).toMatchObject({ path: '', key: 'key1', type: 'text', author: 'bootstrapuser' });
    expect(Buffer.from(document.secrets[0]?.bytes ?? []).toString()).toBe('v1');
    expect([...(document.secrets[1]?.bytes ?? [])]).toEqual([0, 255]);
  });

  it('accepts an empty backup, and bytes as input', () => {
    expect(parseBackup(new TextEncoder().encode('{"secrets":[]}'), { source: 'f' }).secrets).toEqual([]);
  });

  it('collects every issue with its JSON pointer and never quotes a value', () => {
    const issues = issuesOf(
      JSON.stringify({
        extra: 1,
        secrets: [
          'not an object',
          { path: '/abs', key: '', type: 'text', value: canaryValue },
          { path: 'p', key: 'k', type: 'text', value: b64(canaryValue), labels: [1], description: 2, author: 3 },
          { path: 'p', key: 'k2', type: 'text', value: b64('x') },
          { path: 'p', key: 'k2', type: 'binary', value: b64('y') },
        ],
      }),
    );
    expect(issues).toEqual([
      '/extra: is not a known field (expected `secrets`, `cluster_id`)',
      '/secrets/0: must be an object with `path`, `key`, `type` and `value`',
      '/secrets/1/path: must not start or end with `/`, got `/abs`',
      '/secrets/1/key: must be a non-empty string',
      '/secrets/1/value: is not valid base64 (standard alphabet, padded)',
      '/secrets/2/description: must be a string',
      '/secrets/2/labels: must be an array of strings',
      '/secrets/2/author: must be a string',
      '/secrets/4: restores to `p/k2`, as /secrets/3 does',
    ]);
  });

  it('checks paths with the given rule, and sizes against the limit', () => {
    const checkPath = (path: string): void => {
      if (path.includes(' '))
        throw new SecretsAgentError('ERR_SECRET_PATH_INVALID', `Secret path \`${path}\` is invalid`);
    };
    expect(
      issuesOf(JSON.stringify({ secrets: [{ path: 'a', key: 'b c', type: 'text', value: '' }] }), { checkPath }),
    ).toEqual(['/secrets/0/key: Secret path `a/b c` is invalid']);
    expect(
      issuesOf(JSON.stringify({ secrets: [{ path: '', key: 'big', type: 'binary', value: b64('12345') }] }), {
        maxValueBytes: 4,
      }),
    ).toEqual(['/secrets/0/value: decodes to 5 bytes; the limit is 4']);
  });

  it('refuses non-canonical base64, text that is not UTF-8, and binary entries with description', () => {
    expect(issuesOf(JSON.stringify({ secrets: [{ path: '', key: 'a', type: 'text', value: 'YQ' }] }))).toEqual([
      '/secrets/0/value: is not valid base64 (standard alphabet, padded)',
    ]);
    expect(
      issuesOf(
        JSON.stringify({
          secrets: [{ path: '', key: 'a', type: 'text', value: Buffer.from([0xff]).toString('base64') }],
        }),
      )[0],
    ).toContain('not UTF-8');
    expect(
      issuesOf(JSON.stringify({ secrets: [{ path: '', key: 'a', type: 'binary', value: '', labels: [] }] }))[0],
    ).toContain('cannot carry');
  });

  it('reports a JSON syntax error by line and column, not by quoting the text', () => {
    const [message] = issuesOf(`{\n  "secrets": [{"value": "${canaryValue}" ]\n}`);
    expect(message).toMatch(/^f\.json is not valid JSON \(at line 2 column \d+\)$/);
    expect(issuesOf('[]')).toEqual(['the document: must be a JSON object with a `secrets` array']);
    expect(issuesOf('{}')).toEqual(['/secrets: is missing; expected an array of secrets']);
  });
});
