// node:crypto for modules on `run`'s start-up path. Loading it costs about 2 ms on Node 20 (its
// internal modules are not in Node's start-up snapshot), about a tenth of `node -e 0`, and `run`'s
// common path (environment secrets, a cached token) needs none of it: those modules take it from
// here when they first use it instead of importing it at load. Other modules import it as usual.
import type * as NodeCrypto from 'node:crypto';

// process.getBuiltinModule (Node >= 20.16) loads a built-in synchronously from ES modules and from
// the CommonJS run bundle alike; Node keeps it loaded after the first call.
export function loadCrypto(): typeof NodeCrypto {
  return process.getBuiltinModule('node:crypto');
}
