import { describe, expect, it } from 'vitest';
import { ChangeLog } from '../../../src/store/changes/change-log.js';

describe('ChangeLog', () => {
  it('numbers changes from 1 and returns the distinct paths after an index', () => {
    const log = new ChangeLog(8);
    expect(log.counter).toBe(0);
    expect(log.since(0)).toEqual([]);
    log.record('a/b');
    log.record('c');
    log.record('a/b');
    expect(log.counter).toBe(3);
    expect(log.since(0)?.sort()).toEqual(['a/b', 'c']);
    expect(log.since(2)).toEqual(['a/b']);
    expect(log.since(3)).toEqual([]);
  });

  it('refuses indexes from the future and indexes older than the retained window', () => {
    const log = new ChangeLog(4);
    for (let index = 0; index < 10; index += 1) log.record(`p${index}`);
    expect(log.since(11)).toBeUndefined();
    expect(log.since(5)).toBeUndefined();
    expect(log.since(6)?.sort()).toEqual(['p6', 'p7', 'p8', 'p9']);
    expect(log.since(9)).toEqual(['p9']);
  });
});
