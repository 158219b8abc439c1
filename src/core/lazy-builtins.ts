// Built-ins that Node 20 does not keep in its start-up snapshot, for modules that `run` loads
// (over HTTP or on the embedded store) but whose common path never calls them: loading node:crypto,
// node:fs/promises, node:child_process or node:http costs 0.4–3 ms each, a fair share of
// `node -e 0`'s ~18 ms. Those modules take them from here when they first use them instead of
// importing them at load; other modules import them as usual. A test records which built-ins the
// built executable has loaded when it execs (test/cli/commands/run.test.ts).
import type * as NodeChildProcess from 'node:child_process';
import type * as NodeCrypto from 'node:crypto';
import type * as NodeFsPromises from 'node:fs/promises';
import type * as NodeHttp from 'node:http';
import type * as NodeNet from 'node:net';
import type * as NodeOs from 'node:os';
import type * as NodeTls from 'node:tls';
import type * as NodeV8 from 'node:v8';

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

export function loadOs(): typeof NodeOs {
  return process.getBuiltinModule('node:os');
}

// For code that runs rarely (a seal's clean-up), so the embedded store's `run` does not load them.
export function loadHttp(): typeof NodeHttp {
  return process.getBuiltinModule('node:http');
}

export function loadNet(): typeof NodeNet {
  return process.getBuiltinModule('node:net');
}

// For the socket transport, which opens connections only when a request is made.
export function loadTls(): typeof NodeTls {
  return process.getBuiltinModule('node:tls');
}

export function loadV8(): typeof NodeV8 {
  return process.getBuiltinModule('node:v8');
}
