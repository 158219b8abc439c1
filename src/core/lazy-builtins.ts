// Built-ins for modules on `run`'s start-up path that its common path (environment secrets, a
// cached token, exec through the native addon) never calls. Node 20 does not keep node:crypto,
// node:fs/promises or node:child_process in its start-up snapshot: loading each costs 0.4–2 ms, a
// fair share of `node -e 0`'s ~18 ms. Those modules take them from here when they first use them
// instead of importing them at load; other modules import them as usual.
import type * as NodeChildProcess from 'node:child_process';
import type * as NodeCrypto from 'node:crypto';
import type * as NodeFsPromises from 'node:fs/promises';

// process.getBuiltinModule (Node >= 20.16) loads a built-in synchronously from ES modules and from
// the CommonJS run bundle alike; Node keeps it loaded after the first call.
export function loadCrypto(): typeof NodeCrypto {
  return process.getBuiltinModule('node:crypto');
}

export function loadFsPromises(): typeof NodeFsPromises {
  return process.getBuiltinModule('node:fs/promises');
}

export function loadChildProcess(): typeof NodeChildProcess {
  return process.getBuiltinModule('node:child_process');
}
