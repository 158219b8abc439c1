// Without the native addon, a non-blocking stdio pipe makes process.execve go through
// `/bin/sh -c "exec ..."` (see exec-workload.ts).
// A shell rebuilds the environment it execs with: dash drops names that are not shell
// identifiers (`my-var`), resets IFS, OPTIND and PPID, and adds PWD; bash adds SHLVL and `_`.
// Rather than keep a list per shell, we ask the shell actually installed: run the same script
// with `cat /proc/self/environ` as the target and compare. Values travel only through the
// child's environment and a pipe back to us, never through argv.
import { loadChildProcess } from '../core/lazy-builtins.js';

export const shellPath = '/bin/sh';

// POSIX single quotes keep every byte literal; an embedded quote becomes '\''.
export function quoteShellWord(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

// `exec '<path>' '<arg>'...`, dropping the PWD the shell would add when the env has none.
// `reopenFds` are pipes to open again through /proc/self/fd/N before the exec: the new open file
// description is blocking even when Node left the inherited one non-blocking.
export function buildTrampolineScript(
  path: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  reopenFds: readonly number[] = [],
): string {
  const prefix = Object.hasOwn(env, 'PWD') ? '' : 'unset PWD; ';
  const redirects = reopenFds.map((fd) => ` ${fd}${fd === 0 ? '<' : '>'}/proc/self/fd/${fd}`).join('');
  return `${prefix}exec ${[path, ...args].map(quoteShellWord).join(' ')}${redirects}`;
}

// Names of variables the shell would drop, add or change for this env and cwd; undefined when
// the probe itself fails (then exec through the shell is not trustworthy either).
export function findEnvChangedByShell(env: Readonly<Record<string, string>>, cwd: string): string[] | undefined {
  const probe = loadChildProcess().spawnSync(
    shellPath,
    ['-c', buildTrampolineScript('/bin/cat', ['/proc/self/environ'], env)],
    {
      env,
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  if (probe.status !== 0 || !Buffer.isBuffer(probe.stdout)) return undefined;
  const seen = new Map<string, string>();
  for (const entry of probe.stdout.toString('utf8').split('\0')) {
    if (entry === '') continue;
    const equals = entry.indexOf('=');
    seen.set(entry.slice(0, equals), entry.slice(equals + 1));
  }
  const changed = new Set<string>();
  for (const [name, value] of Object.entries(env)) if (seen.get(name) !== value) changed.add(name);
  for (const name of seen.keys()) if (!Object.hasOwn(env, name)) changed.add(name);
  return [...changed].sort();
}
