import { describe, expect, it } from 'vitest';
import { buildTrampolineScript } from '../../src/supervisor/sh-trampoline.js';

describe('buildTrampolineScript', () => {
  it('quotes every word and execs the command', () => {
    expect(buildTrampolineScript('/bin/echo', ["it's", '$HOME'], { PWD: '/' })).toBe(
      `exec '/bin/echo' 'it'\\''s' '$HOME'`,
    );
  });

  it('reopens the named stdio pipes before the exec', () => {
    expect(buildTrampolineScript('/bin/true', [], { PWD: '/' }, [0, 2])).toBe(
      "exec '/bin/true' 0</proc/self/fd/0 2>/proc/self/fd/2",
    );
  });
});
