// Reads one HTTP/1.1 response from the bytes of a connection, for the socket transport
// (socket-transport.ts): status line, header fields, and a body framed by Content-Length, by the
// chunked transfer coding or by the end of the connection (RFC 9112). 1xx answers are skipped.
// Malformed input throws a ResponseFormatError and the connection is not used again.

/** A response as read: status, header fields (names in lower case) and the whole body. */
export interface ReadResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
  /** The connection may carry another request (HTTP/1.1, no `connection: close`, framed body, nothing extra received). */
  readonly reusable: boolean;
}

export interface ResponseReader {
  /** Feeds received bytes; returns the response once it is complete. */
  push(chunk: Buffer): ReadResponse | undefined;
  /** The peer ended the connection: completes a body that runs to the end, else throws (cut short). */
  end(): ReadResponse;
  /** Whether any byte has arrived (a request on a reused connection that failed before that was never answered). */
  readonly started: boolean;
}

/** The response broke HTTP/1.1's rules; `reason` names what, never quoting the bytes. */
export class ResponseFormatError extends Error {
  readonly code = 'ERR_HTTP_MALFORMED';
}

/** The body went past the caller's cap. */
export class ResponseTooLargeError extends Error {
  readonly code = 'ERR_HTTP_TOO_LARGE';
  constructor(readonly maxBytes: number) {
    super(`response is larger than ${maxBytes} bytes`);
  }
}

/** The connection ended before the response did. */
export class ResponseCutShortError extends Error {
  readonly code = 'ECONNRESET';
}

/** Header sections larger than this are refused (Node's own default limit is 16 KiB). */
export const maxHeadBytes = 64 * 1024;
const maxChunkLineBytes = 1024;

const statusLinePattern = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;
const fieldLinePattern = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;
const crlf = Buffer.from('\r\n', 'latin1');
const headEnd = Buffer.from('\r\n\r\n', 'latin1');

type Framing = { kind: 'length'; remaining: number } | { kind: 'chunked' } | { kind: 'close' } | { kind: 'none' };
type ChunkState = 'size' | 'data' | 'data-end' | 'trailers';

// `method` of the request (a HEAD answer has no body); `maxBodyBytes` caps the body.
export function createResponseReader(method: string, maxBodyBytes: number): ResponseReader {
  let pending: Buffer = Buffer.alloc(0);
  let started = false;
  let head: { status: number; headers: Record<string, string | string[]>; keepAlive: boolean } | undefined;
  let framing: Framing | undefined;
  const parts: Buffer[] = [];
  let bodyBytes = 0;
  let chunkState: ChunkState = 'size';
  let chunkRemaining = 0;

  const addBody = (bytes: Buffer): void => {
    if (bytes.length === 0) return;
    bodyBytes += bytes.length;
    if (bodyBytes > maxBodyBytes) throw new ResponseTooLargeError(maxBodyBytes);
    parts.push(bytes);
  };

  const finish = (reusable: boolean): ReadResponse => {
    const { status, headers, keepAlive } = head as NonNullable<typeof head>;
    return {
      status,
      headers,
      body: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bodyBytes),
      reusable: reusable && keepAlive && pending.length === 0,
    };
  };

  // Reads as far as the buffered bytes allow; the response when complete.
  const advance = (): ReadResponse | undefined => {
    while (head === undefined) {
      const end = pending.indexOf(headEnd);
      // Without its end yet, everything buffered so far belongs to the head.
      if ((end === -1 ? pending.length : end) > maxHeadBytes)
        throw new ResponseFormatError(`header section larger than ${maxHeadBytes} bytes`);
      if (end === -1) return undefined;
      const parsed = parseHead(pending.toString('latin1', 0, end));
      pending = pending.subarray(end + headEnd.length);
      // 1xx answers (100 Continue, 103 Early Hints) come before the real one.
      if (parsed.status < 200) {
        if (parsed.status === 101) throw new ResponseFormatError('unexpected protocol switch (101)');
        continue;
      }
      head = parsed;
      framing = chooseFraming(method, parsed.status, parsed.headers, maxBodyBytes);
      // With both Transfer-Encoding and Content-Length the former wins, and the connection is
      // not trusted with another request (RFC 9112 section 6.3).
      if (framing.kind === 'close' || (framing.kind === 'chunked' && 'content-length' in parsed.headers))
        head.keepAlive = false;
    }
    const frame = framing as Framing;
    if (frame.kind === 'none') return finish(true);
    if (frame.kind === 'close') {
      addBody(pending);
      pending = Buffer.alloc(0);
      return undefined;
    }
    if (frame.kind === 'length') {
      const take = Math.min(frame.remaining, pending.length);
      addBody(pending.subarray(0, take));
      pending = pending.subarray(take);
      frame.remaining -= take;
      return frame.remaining === 0 ? finish(true) : undefined;
    }
    return advanceChunked();
  };

  const advanceChunked = (): ReadResponse | undefined => {
    for (;;) {
      if (chunkState === 'data') {
        const take = Math.min(chunkRemaining, pending.length);
        addBody(pending.subarray(0, take));
        pending = pending.subarray(take);
        chunkRemaining -= take;
        if (chunkRemaining > 0) return undefined;
        chunkState = 'data-end';
        continue;
      }
      if (chunkState === 'data-end') {
        if (pending.length < 2) return undefined;
        if (pending[0] !== 0x0d || pending[1] !== 0x0a)
          throw new ResponseFormatError('chunk data not followed by CRLF');
        pending = pending.subarray(2);
        chunkState = 'size';
        continue;
      }
      const lineEnd = pending.indexOf(crlf);
      if (lineEnd === -1) {
        if (pending.length > maxChunkLineBytes) throw new ResponseFormatError('chunk size line too long');
        return undefined;
      }
      const line = pending.toString('latin1', 0, lineEnd);
      pending = pending.subarray(lineEnd + 2);
      if (chunkState === 'trailers') {
        // Trailer fields are read past and dropped; an empty line ends the message.
        if (line === '') return finish(true);
        if (!fieldLinePattern.test(line)) throw new ResponseFormatError('malformed trailer field');
        continue;
      }
      const size = parseChunkSize(line);
      if (size === 0) {
        chunkState = 'trailers';
        continue;
      }
      if (bodyBytes + size > maxBodyBytes) throw new ResponseTooLargeError(maxBodyBytes);
      chunkRemaining = size;
      chunkState = 'data';
    }
  };

  return {
    push(chunk) {
      started = true;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      return advance();
    },
    end() {
      if (head !== undefined && framing?.kind === 'close') return finish(false);
      throw new ResponseCutShortError(
        head === undefined ? 'connection closed before a complete response head' : 'connection closed mid-body',
      );
    },
    get started() {
      return started;
    },
  };
}

function parseHead(text: string): { status: number; headers: Record<string, string | string[]>; keepAlive: boolean } {
  const lines = text.split('\r\n');
  const statusLine = statusLinePattern.exec(lines[0] as string);
  if (statusLine === null) throw new ResponseFormatError('malformed status line');
  const headers = Object.create(null) as Record<string, string | string[]>;
  for (let index = 1; index < lines.length; index += 1) {
    const field = fieldLinePattern.exec(lines[index] as string);
    // Obsolete line folding (a line starting with a space) is refused as RFC 9112 allows.
    if (field === null) throw new ResponseFormatError('malformed header field');
    const name = (field[1] as string).toLowerCase();
    const value = field[2] as string;
    const previous = headers[name];
    if (previous === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(previous)) previous.push(value);
    else headers[name] = `${previous}, ${value}`;
  }
  const connection = typeof headers['connection'] === 'string' ? headers['connection'].toLowerCase() : '';
  const closes = connection.split(',').some((token) => token.trim() === 'close');
  return { status: Number(statusLine[2]), headers, keepAlive: statusLine[1] === '1' && !closes };
}

// RFC 9112 section 6.3, in its order: no body for HEAD, 204 and 304; Transfer-Encoding before
// Content-Length; otherwise the body runs to the end of the connection.
function chooseFraming(
  method: string,
  status: number,
  headers: Readonly<Record<string, string | string[]>>,
  maxBodyBytes: number,
): Framing {
  if (method === 'HEAD' || status === 204 || status === 304) return { kind: 'none' };
  const transferEncoding = headers['transfer-encoding'];
  if (typeof transferEncoding === 'string') {
    const codings = transferEncoding.toLowerCase().split(',');
    // Not chunked last: the length is unknowable, so the connection's end ends the body.
    return codings.at(-1)?.trim() === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
  }
  const contentLength = headers['content-length'];
  if (typeof contentLength === 'string') {
    const values = contentLength.split(',').map((value) => value.trim());
    const first = values[0] as string;
    if (!/^\d{1,15}$/.test(first) || values.some((value) => value !== first))
      throw new ResponseFormatError('malformed Content-Length');
    const length = Number(first);
    if (length > maxBodyBytes) throw new ResponseTooLargeError(maxBodyBytes);
    return length === 0 ? { kind: 'none' } : { kind: 'length', remaining: length };
  }
  return { kind: 'close' };
}

function parseChunkSize(line: string): number {
  const semicolon = line.indexOf(';');
  const digits = (semicolon === -1 ? line : line.slice(0, semicolon)).trim();
  if (!/^[0-9A-Fa-f]{1,12}$/.test(digits)) throw new ResponseFormatError('malformed chunk size');
  return Number.parseInt(digits, 16);
}
