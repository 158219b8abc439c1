// The HTTP/1.1 response parser, fed byte streams as servers and proxies send them, whole and cut
// at every position.
import { describe, expect, it } from 'vitest';
import { createResponseParser, type ParsedResponse } from '../../src/client/http1-response.js';

function parseAll(raw: string, options: { method?: string; maxBodyBytes?: number; cutEvery?: number } = {}): { response: ParsedResponse; rest: string } | undefined {
  const parser = createResponseParser({ method: options.method ?? 'GET', maxBodyBytes: options.maxBodyBytes ?? 1024 });
  const bytes = Buffer.from(raw, 'latin1');
  const step = options.cutEvery ?? bytes.length;
  for (let offset = 0; offset < bytes.length; offset += step) {
    const done = parser.push(bytes.subarray(offset, offset + step));
    if (done !== undefined) {
      const rest = Buffer.concat([done.rest, bytes.subarray(offset + step)]).toString('latin1');
      return { response: done.response, rest };
    }
  }
  return undefined;
}

function parseError(raw: string, method = 'GET'): unknown {
  try {
    parseAll(raw, { method });
  } catch (error) {
    return error;
  }
  throw new Error('expected a parse error');
}

const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n5;ext=1\r\n{"val\r\nA\r\nue":"abc"}\r\n0\r\nX-Trailer: t\r\n\r\n';

describe('createResponseParser', () => {
  it('reads a Content-Length body, however the bytes are cut', () => {
    const raw = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\nhelloEXTRA';
    for (const cutEvery of [1, 2, 3, 7, raw.length]) {
      const done = parseAll(raw, { cutEvery });
      expect(done?.response).toMatchObject({ status: 200, keepAlive: true, headers: { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], 'x-dup': '1, 2' } });
      expect(done?.response.body.toString()).toBe('hello');
      expect(done?.rest).toBe('EXTRA');
    }
  });

  it('reads a chunked body with extensions and trailers, however the bytes are cut', () => {
    for (const cutEvery of [1, 4, 9, chunked.length]) {
      const done = parseAll(chunked, { cutEvery });
      expect(done?.response.body.toString()).toBe('{"value":"abc"}');
      expect(done?.rest).toBe('');
    }
  });

  it('skips interim 1xx answers and knows bodiless answers (204, 304, HEAD)', () => {
    expect(parseAll('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')?.response.body.toString()).toBe('ok');
    expect(parseAll('HTTP/1.1 204 No Content\r\n\r\n')?.response.status).toBe(204);
    expect(parseAll('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')?.response.body.length).toBe(0);
    expect(parseAll('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', { method: 'HEAD' })?.response.body.length).toBe(0);
  });

  it('reads a body without length to the end of the connection, and never reuses that connection', () => {
    const parser = createResponseParser({ method: 'GET', maxBodyBytes: 100 });
    expect(parser.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\npart one, '))).toBeUndefined();
    expect(parser.push(Buffer.from('part two'))).toBeUndefined();
    const response = parser.end();
    expect(response.body.toString()).toBe('part one, part two');
    expect(response.keepAlive).toBe(false);
  });

  it('does not keep a connection the server closes, or an HTTP/1.0 one', () => {
    expect(parseAll('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')?.response.keepAlive).toBe(false);
    expect(parseAll('HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n')?.response.keepAlive).toBe(false);
    expect(parseAll('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n')?.response.keepAlive).toBe(false);
  });

  it('reports a connection cut before or inside an answer as a reset, telling the two apart', () => {
    const before = createResponseParser({ method: 'GET', maxBodyBytes: 100 });
    expect(before.started).toBe(false);
    expect(() => before.end()).toThrow(expect.objectContaining({ code: 'ECONNRESET', message: 'connection closed before a response' }));
    const inside = createResponseParser({ method: 'GET', maxBodyBytes: 100 });
    inside.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    expect(inside.started).toBe(true);
    expect(() => inside.end()).toThrow(expect.objectContaining({ code: 'ECONNRESET' }));
  });

  it('refuses framing it cannot trust', () => {
    for (const raw of [
      'HTTP/2 200 OK\r\n\r\n',
      'HTTP/1.1 20 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n',
    ]) {
      expect(parseError(raw)).toMatchObject({ code: 'HPE_INVALID' });
    }
  });

  it('stops at maxBodyBytes, for every framing', () => {
    for (const raw of ['HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n0\r\n\r\n', 'HTTP/1.1 200 OK\r\n\r\nhello world']) {
      expect(() => parseAll(raw, { maxBodyBytes: 10 })).toThrow(expect.objectContaining({ code: 'ERR_RESPONSE_TOO_LARGE' }));
    }
  });

  it('refuses a head larger than 64 KiB', () => {
    const parser = createResponseParser({ method: 'GET', maxBodyBytes: 100 });
    expect(() => parser.push(Buffer.from(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}`))).toThrow(expect.objectContaining({ code: 'HPE_INVALID' }));
  });
});
