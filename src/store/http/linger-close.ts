import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How long a connection is kept reading (and discarding) after an early answer. */
export const lingerMs = 2000;

// Closes the connection after `res` without losing the answer. Answering 413 before the client has
// finished its upload, then closing at once (what Node does for `Connection: close`), leaves the
// client's unread bytes in our receive queue: the kernel then resets the connection, and the reset
// makes the client's kernel drop our answer too. So, like a web server's lingering close: send FIN
// after the answer, keep reading and discarding until the client closes or `lingerMs` passes.
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse, socket: Socket): void {
  res.shouldKeepAlive = false;
  // Discard the rest of the body (a flowing stream with no `data` listener drops what it reads).
  req.removeAllListeners('data');
  req.resume();
  // Node calls destroySoon() once the answer of a `Connection: close` response is written.
  socket.destroySoon = function lingerThenDestroy(this: Socket): void {
    if (this.writable) this.end();
    const timer = setTimeout(() => this.destroy(), lingerMs);
    timer.unref();
    this.once('end', () => this.destroy());
    this.once('close', () => clearTimeout(timer));
  };
}
