import { describe, expect, it } from 'vitest';
import { assertRid, coveringRids, normalizeRid } from '../../../src/store/iam/rid.js';

describe('normalizeRid', () => {
  it.each([
    ['dcos:secrets:default:a/b', 'dcos:secrets:default:/a/b'],
    ['dcos:secrets:default:/a/b', 'dcos:secrets:default:/a/b'],
    ['dcos:secrets:default://a//b/', 'dcos:secrets:default:/a/b'],
    ['dcos:secrets:default:*', 'dcos:secrets:default:/*'],
    ['dcos:secrets:default:/kubernetes-cluster1/*', 'dcos:secrets:default:/kubernetes-cluster1/*'],
    ['dcos:secrets:list:default:', 'dcos:secrets:list:default:/'],
    ['dcos:secrets:list:default:/', 'dcos:secrets:list:default:/'],
    ['dcos:secrets:list:default:/dcos-edgelb/*', 'dcos:secrets:list:default:/dcos-edgelb'],
    ['dcos:secrets:list:default:kubernetes-cluster1', 'dcos:secrets:list:default:/kubernetes-cluster1'],
    ['dcos:superuser', 'dcos:superuser'],
    ['dcos:adminrouter:secrets', 'dcos:adminrouter:secrets'],
  ])('%s -> %s', (rid, normalized) => {
    expect(normalizeRid(rid)).toBe(normalized);
  });
});

describe('coveringRids', () => {
  it('a secret is covered by its own rid and the `/*` rid of each ancestor folder', () => {
    expect(coveringRids('dcos:secrets:default:a/b/c')).toEqual([
      'dcos:secrets:default:/a/b/c',
      'dcos:secrets:default:/*',
      'dcos:secrets:default:/a/*',
      'dcos:secrets:default:/a/b/*',
    ]);
  });

  it('a listing is covered by the list rid of the folder and of each ancestor', () => {
    expect(coveringRids('dcos:secrets:list:default:/a/b')).toEqual([
      'dcos:secrets:list:default:/',
      'dcos:secrets:list:default:/a',
      'dcos:secrets:list:default:/a/b',
    ]);
  });

  it('any other rid is covered only by itself', () => {
    expect(coveringRids('dcos:adminrouter:secrets')).toEqual(['dcos:adminrouter:secrets']);
  });
});

describe('assertRid', () => {
  it.each([
    '',
    'dcos:secrets:default:/a b',
    'dcos:secrets:default:/a%2Fb',
    'x'.repeat(1201),
    'dcos:secrets:default:/ä',
  ])('refuses %j', (rid) => {
    expect(() => assertRid(rid)).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });
});
