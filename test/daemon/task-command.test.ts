import { describe, expect, it } from 'vitest';
import type { AppDefIssue } from '../../src/appdef/index.js';
import { readTaskCommand } from '../../src/daemon/task-command.js';

const read = (root: unknown): { result: ReturnType<typeof readTaskCommand>; issues: AppDefIssue[] } => {
  const issues: AppDefIssue[] = [];
  return { result: readTaskCommand(root, issues), issues };
};

describe('task command from a definition', () => {
  it('runs an app `cmd` through /bin/sh -c and `args` directly', () => {
    expect(read({ cmd: 'exec ./server --port 80' }).result.command).toEqual({
      command: '/bin/sh',
      args: ['-c', 'exec ./server --port 80'],
    });
    expect(read({ args: ['./server', '--port', '80'] }).result.command).toEqual({
      command: './server',
      args: ['--port', '80'],
    });
  });

  it('reports a missing or doubled command with its pointer', () => {
    expect(read({ id: '/x' }).issues.map((issue) => issue.pointer)).toEqual(['']);
    expect(read({ cmd: 'a', args: ['b'] }).issues.map((issue) => issue.pointer)).toEqual(['/args']);
    expect(read({ args: [] }).issues.map((issue) => issue.pointer)).toEqual(['/args']);
  });

  it('takes the only pod container, or the one SECRETS_AGENT_CONTAINER names', () => {
    const one = read({ containers: [{ name: 'web', exec: { command: { shell: 'run-web' } } }] });
    expect(one.result).toEqual({
      command: { command: '/bin/sh', args: ['-c', 'run-web'] },
      containerName: 'web',
      containerIndex: 0,
    });
    const two = {
      labels: { SECRETS_AGENT_CONTAINER: 'side' },
      containers: [
        { name: 'web', exec: { command: { shell: 'w' } } },
        { name: 'side', exec: { command: { argv: ['sidecar', '-v'] } } },
      ],
    };
    expect(read(two).result).toEqual({
      command: { command: 'sidecar', args: ['-v'] },
      containerName: 'side',
      containerIndex: 1,
    });
    expect(read({ containers: [{ name: 'a' }, { name: 'b' }] }).issues.map((issue) => issue.pointer)).toEqual([
      '/containers',
    ]);
    expect(
      read({ labels: { SECRETS_AGENT_CONTAINER: 'c' }, containers: [{ name: 'a' }] }).issues.map(
        (issue) => issue.pointer,
      ),
    ).toEqual(['/labels/SECRETS_AGENT_CONTAINER']);
    expect(read({ containers: [{ name: 'a' }] }).issues.map((issue) => issue.pointer)).toEqual([
      '/containers/0/exec/command',
    ]);
  });
});
