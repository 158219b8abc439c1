// Where `secrets-agent login` keeps its session: /var/lib/secrets-agent for root, else the XDG
// state directory ($XDG_STATE_HOME/secrets-agent, default ~/.local/state/secrets-agent).
import { loadOs } from '../core/lazy-builtins.js';
import { isAbsolute, join } from 'node:path';

export interface StateDirInputs {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default process.getuid(). */
  readonly uid?: number;
  /** Default os.homedir(). */
  readonly homeDir?: string;
}

/** The default state directory for this user. */
export function defaultStateDir(inputs: StateDirInputs = {}): string {
  const uid = inputs.uid ?? process.getuid?.() ?? -1;
  if (uid === 0) return '/var/lib/secrets-agent';
  const xdg = inputs.env?.['XDG_STATE_HOME'];
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'secrets-agent');
  return join(inputs.homeDir ?? loadOs().homedir(), '.local', 'state', 'secrets-agent');
}
