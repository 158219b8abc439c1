// Incremental parser of one HTTP/1.1 response (RFC 9112) as a client reads it from a socket:
// status line and headers, then a body framed by Content-Length, chunked transfer coding, or the
// end of the connection. Interim (1xx) responses are skipped. Anything malformed is an error with
// code HPE_INVALID (the socket is then dropped): we never guess at the framing of a response.

export interface ParsedResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
  /** Whether the connection may carry another request. */
  readonly keepAlive: boolean;
}

export interface ResponseParserOptions {
  /** HEAD answers have no body whatever their headers say. */
  readonly method: string;
  /** Larger bodies end the parse with an error of code `ERR_RESPONSE_TOO_LARGE`. */
  readonly maxBodyBytes: number;
}

/** Status line and headers together; Node's own limit is 16 KiB. */
export const maxHeadBytes = 64 * 1024;

type Framing = { kind: 'length'; remaining: number } | { kind: 'chunked'; state: 'size' | 'data' | 'data-end' | 'trailer'; remaining: number } | { kind: 'close' };

export interface ResponseParser {
  /** Feeds bytes; returns the response once complete (bytes after it are returned as `rest`). */
  push(chunk: Buffer): { response: ParsedResponse; rest: Buffer } | undefined;
  /** The connection ended: completes a close-delimited body, else throws (the response was cut). */
  end(): ParsedResponse;
  /** Whether any byte of a response has arrived (a reused socket that closes before is stale, not failed). */
  readonly started: boolean;
}

export function createResponseParser(options: ResponseParserOptions): ResponseParser {
  let buffer: Buffer = Buffer.alloc(0);
  let started = false;
  let head: { status: number; headers: Record<string, string | string[]>; keepAlive: boolean } | undefined;
  let framing: Framing | undefined;
  const body: Buffer[] = [];
  let bodyBytes = 0;

  const addBody = (bytes: Buffer): void => {
    bodyBytes += bytes.length;
    if (bodyBytes > options.maxBodyBytes) throw Object.assign(new Error(`response body is larger than ${options.maxBodyBytes} bytes`), { code: 'ERR_RESPONSE_TOO_LARGE' });
    body.push(bytes);
  };
  const finish = (rest: Buffer, keepAlive: boolean): { response: ParsedResponse; rest: Buffer } => {
    const parsed = head as NonNullable<typeof head>;
    return { response: { status: parsed.status, headers: parsed.headers, body: Buffer.concat(body, bodyBytes), keepAlive }, rest };
  };

  return {
    get started() {
      return started;
    },
    push(chunk) {
      if (chunk.length > 0) started = true;
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      while (head === undefined) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) {
          if (buffer.length > maxHeadBytes) throw invalid(`response head is larger than ${maxHeadBytes} bytes`);
          return undefined;
        }
        const parsed = parseHead(buffer.subarray(0, end).toString('latin1'));
        buffer = buffer.subarray(end + 4);
        // 1xx are interim (100 Continue, 103 Early Hints): the real answer follows.
        if (parsed.status < 200) continue;
        head = parsed;
        framing = chooseFraming(options.method, parsed.status, parsed.headers);
      }
      const frame = framing as Framing;
      if (frame.kind === 'close') {
        if (buffer.length > 0) addBody(buffer);
        buffer = Buffer.alloc(0);
        return undefined;
      }
      if (frame.kind === 'length') {
        const take = Math.min(frame.remaining, buffer.length);
        if (take > 0) addBody(buffer.subarray(0, take));
        frame.remaining -= take;
        buffer = buffer.subarray(take);
        return frame.remaining === 0 ? finish(buffer, head.keepAlive) : undefined;
      }
      for (;;) {
        if (frame.state === 'data') {
          const take = Math.min(frame.remaining, buffer.length);
          if (take > 0) addBody(buffer.subarray(0, take));
          frame.remaining -= take;
          buffer = buffer.subarray(take);
          if (frame.remaining > 0) return undefined;
          frame.state = 'data-end';
        }
        const lineEnd = buffer.indexOf('\r\n');
        if (lineEnd === -1) {
          if (buffer.length > maxHeadBytes) throw invalid('chunk framing line too long');
          return undefined;
        }
        const line = buffer.subarray(0, lineEnd).toString('latin1');
        buffer = buffer.subarray(lineEnd + 2);
        if (frame.state === 'data-end') {
          if (line !== '') throw invalid('chunk data not followed by CRLF');
          frame.state = 'size';
        } else if (frame.state === 'size') {
          const size = /^([0-9a-fA-F]{1,8})[ \t]*(?:;.*)?$/.exec(line);
          if (size === null) throw invalid('bad chunk size line');
          frame.remaining = Number.parseInt(size[1] as string, 16);
          frame.state = frame.remaining === 0 ? 'trailer' : 'data';
        } else if (line === '') {
          // The empty line after the trailer fields ends the message.
          return finish(buffer, head.keepAlive);
        }
      }
    },
    end() {
      if (head !== undefined && framing?.kind === 'close') return finish(Buffer.alloc(0), false).response;
      throw Object.assign(new Error(started ? 'connection closed in the middle of a response' : 'connection closed before a response'), { code: 'ECONNRESET' });
    },
  };
}

function parseHead(text: string): { status: number; headers: Record<string, string | string[]>; keepAlive: boolean } {
  const lines = text.split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/.exec(lines[0] ?? '');
  if (statusLine === null) throw invalid('bad status line');
  const headers: Record<string, string | string[]> = {};
  for (const line of lines.slice(1)) {
    // obs-fold (a line starting with whitespace) and names with odd characters are refused outright.
    const field = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (field === null) throw invalid('bad header line');
    const name = (field[1] as string).toLowerCase();
    const value = field[2] as string;
    if (/[\0\r\n]/.test(value)) throw invalid('bad header value');
    const previous = headers[name];
    if (previous === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(previous)) previous.push(value);
    else headers[name] = `${previous}, ${value}`;
  }
  const connection = typeof headers['connection'] === 'string' ? headers['connection'].toLowerCase() : '';
  // HTTP/1.0 answers are not reused, whatever they say: it keeps this client simple.
  const keepAlive = statusLine[1] === '1' && !/(?:^|,)\s*close\s*(?:,|$)/.test(connection);
  return { status: Number(statusLine[2]), headers, keepAlive };
}

function chooseFraming(method: string, status: number, headers: Record<string, string | string[]>): Framing {
  if (method === 'HEAD' || status === 204 || status === 304) return { kind: 'length', remaining: 0 };
  const transferEncoding = headers['transfer-encoding'];
  if (transferEncoding !== undefined) {
    // RFC 9112 §6.3: chunked must be last; any other coding means the body runs to the close.
    if (/(?:^|,)\s*chunked\s*$/i.test(String(transferEncoding))) return { kind: 'chunked', state: 'size', remaining: 0 };
    return { kind: 'close' };
  }
  const contentLength = headers['content-length'];
  if (contentLength !== undefined) {
    const values = new Set(String(contentLength).split(',').map((value) => value.trim()));
    const [only] = values;
    if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) throw invalid('bad Content-Length');
    return { kind: 'length', remaining: Number(only) };
  }
  return { kind: 'close' };
}

function invalid(message: string): Error {
  return Object.assign(new Error(`invalid HTTP response: ${message}`), { code: 'HPE_INVALID' });
}
