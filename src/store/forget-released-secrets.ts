// After a seal: make memory forget what was zeroed and dropped (issue 12.3).
// - Cipher contexts (node:crypto's Cipheriv/Decipheriv) hold the AES key schedule, which starts
//   with the raw key, in OpenSSL memory that is cleansed only when the JS object is collected: a
//   full garbage collection frees them now instead of whenever the heap next fills up.
// - Node's HTTP parser reads every connection's bytes into one static 64 KiB buffer of its own,
//   which JS never sees: the last secret PUT (or unseal request) stays there until later requests
//   overwrite it. Feeding a throwaway local HTTP server a large body of zeros overwrites it.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { runInNewContext } from 'node:vm';
// Loaded at the first seal: the embedded store's `run` never seals, and node:http costs it ~3 ms.
import { loadHttp, loadNet, loadV8 } from '../core/lazy-builtins.js';

let collect: (() => void) | undefined;

/** Bigger than the parser's 64 KiB read buffer several times over, so some read fills all of it. */
const scrubBodyBytes = 512 * 1024;

// Overwrites the HTTP parser's read buffer, then runs two full collections, with a turn of the event
// loop between them for the finalizers (the native halves of collected objects are freed in a second pass).
// Best effort: never throws (the seal itself is done before this runs).
export async function forgetReleasedSecrets(): Promise<void> {
  await overwriteHttpReadBuffer().catch(() => undefined);
  collect ??= exposeGc();
  collect();
  await new Promise((resolve) => setImmediate(resolve));
  collect();
}

async function overwriteHttpReadBuffer(): Promise<void> {
  const server = loadHttp().createServer((req, res) => {
    req.resume();
    req.once('end', () => res.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const socket = loadNet().connect(port, '127.0.0.1');
    socket.resume();
    socket.write(
      `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${scrubBodyBytes}\r\nConnection: close\r\n\r\n`,
    );
    socket.end(Buffer.alloc(scrubBodyBytes));
    socket.setTimeout(5000, () => socket.destroy());
    await once(socket, 'close');
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

function exposeGc(): () => void {
  // `--expose-gc` at run time only makes the next new context get a `gc` function; the flag is
  // not left on for code that later creates contexts of its own.
  const { setFlagsFromString } = loadV8();
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
