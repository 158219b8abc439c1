// Builds the vendored native addon (native/: execve and prctl for `run` and the daemon) with the
// node-gyp that npm bundles, against the installed Node's own headers (no download). Runs as the
// package's `install` script. A failed build is not fatal: the agent falls back (process.execve on
// Node >= 22.15, else supervising) and says so in its log; SECRETS_AGENT_NATIVE_REQUIRED=1 makes it fatal.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = resolve(dirname(process.execPath), '..');
const nodeGyp =
  process.env.npm_config_node_gyp ??
  join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
// npm passes .npmrc's nodedir as npm_config_nodedir; run by hand, use the headers next to this Node.
const nodedir =
  process.env.npm_config_nodedir ?? (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);

const args = [
  nodeGyp,
  'rebuild',
  '--loglevel=warn',
  '--directory',
  join(root, 'native'),
  ...(nodedir === undefined ? [] : [`--nodedir=${nodedir}`]),
];
const result = existsSync(nodeGyp)
  ? spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] })
  : { status: null, error: new Error(`node-gyp not found at ${nodeGyp}`) };
if (result.status !== 0) {
  const reason = result.error?.message ?? `node-gyp exited with ${String(result.status)}`;
  process.stderr.write(
    `secrets-agent: the native addon was not built (${reason}). ` +
      '`run` falls back to process.execve (Node >= 22.15) or supervises its workload, and cannot make itself non-dumpable; see docs/security.md.\n',
  );
  process.exitCode = process.env.SECRETS_AGENT_NATIVE_REQUIRED === '1' ? 1 : 0;
}
