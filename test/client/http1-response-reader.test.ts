// The HTTP/1.1 response reader behind the socket transport (issue 13), fed exact bytes with no
// socket: framing by Content-Length, by chunks and by the connection's end, bodies that must not be
// there, 1xx answers, when a connection may carry the next request, and what is refused. The bytes
// are pushed in awkward pieces because TCP may split a response anywhere.
import { describe, expect, it } from 'vitest';
import {
  ResponseCutShortError,
  ResponseFormatError,
  ResponseTooLargeError,
  createResponseReader,
  maxHeadBytes,
  type ReadResponse,
  type ResponseReader,
} from '../../src/client/http1-response-reader.js';
import { canaryValue } from '../helpers/canary.js';

const cap = 1024;

function reader(method = 'GET', maxBodyBytes = cap): ResponseReader {
  return createResponseReader(method, maxBodyBytes);
}

// Pushes `pieces` in order: only the last may complete the response (an earlier completion would
// mean the reader stopped short of the framing).
function feed(target: ResponseReader, ...pieces: Array<string | Buffer>): ReadResponse {
  let response: ReadResponse | undefined;
  pieces.forEach((piece, index) => {
    response = target.push(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece);
    if (index < pieces.length - 1) expect(response, `complete after piece ${index}`).toBeUndefined();
  });
  if (response === undefined) throw new Error('the response is not complete after the last piece');
  return response;
}

function bytewise(text: string): Buffer[] {
  return [...Buffer.from(text, 'latin1')].map((byte) => Buffer.from([byte]));
}

// The error `run` throws; fails the test when it throws nothing.
function thrownBy(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected an error, but nothing was thrown');
}

const chunked =
  'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/plain\r\n\r\n' +
  '4;name=value\r\nWiki\r\n' +
  '5;quoted="a;b";flag\r\npedia\r\n' +
  'E\r\n in\r\n\r\nchunks.\r\n' +
  '0;last\r\nx-checksum: abc\r\nx-other: 1\r\n\r\n';

describe('createResponseReader', () => {
  describe('framing', () => {
    it('reads a Content-Length body pushed one byte at a time', () => {
      const response = feed(reader(), ...bytewise('HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\nhello world'));
      expect(response.status).toBe(200);
      expect(response.body.toString()).toBe('hello world');
      expect(response.reusable).toBe(true);
    });

    it('decodes a chunked body, skipping chunk extensions and dropping trailer fields', () => {
      const response = feed(reader(), chunked);
      expect(response.body.toString()).toBe('Wikipedia in\r\n\r\nchunks.');
      expect(response.headers['content-type']).toBe('text/plain');
      // Trailers are read past, not merged into the header fields.
      expect(response.headers['x-checksum']).toBeUndefined();
      expect(response.reusable).toBe(true);
    });

    it('decodes a chunked body split at every possible place (inside a CRLF, a size line, an extension)', () => {
      for (let at = 1; at < chunked.length; at += 1) {
        const response = feed(reader(), chunked.slice(0, at), chunked.slice(at));
        expect(response.body.toString(), `split at ${at}`).toBe('Wikipedia in\r\n\r\nchunks.');
        expect(response.reusable, `split at ${at}`).toBe(true);
      }
    });

    it('decodes a chunked body pushed one byte at a time', () => {
      expect(feed(reader(), ...bytewise(chunked)).body.toString()).toBe('Wikipedia in\r\n\r\nchunks.');
    });

    it('reads a body without a length to the end of the connection, which makes it not reusable', () => {
      const target = reader();
      expect(target.push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nfirst '))).toBeUndefined();
      expect(target.push(Buffer.from('second'))).toBeUndefined();
      const response = target.end();
      expect(response.body.toString()).toBe('first second');
      expect(response.reusable).toBe(false);
    });

    it('reads to the end of the connection when chunked is not the last transfer coding', () => {
      const target = reader();
      expect(
        target.push(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked, gzip\r\n\r\n5\r\nab')),
      ).toBeUndefined();
      expect(target.end().body.toString()).toBe('5\r\nab');
    });

    it('decodes as chunked, and does not reuse the connection, when Content-Length comes with Transfer-Encoding', () => {
      const response = feed(
        reader(),
        'HTTP/1.1 200 OK\r\ncontent-length: 100\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      );
      expect(response.body.toString()).toBe('hello');
      expect(response.reusable).toBe(false);
    });

    it('accepts a Content-Length sent twice with the same value', () => {
      const response = feed(reader(), 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nContent-Length: 2\r\n\r\nok');
      expect(response.body.toString()).toBe('ok');
    });

    it('completes a response with Content-Length 0 at the end of its head', () => {
      const response = feed(reader(), 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
      expect(response.body).toHaveLength(0);
      expect(response.reusable).toBe(true);
    });
  });

  describe('responses without a body', () => {
    it.each([
      ['HEAD', 200],
      ['GET', 204],
      ['GET', 304],
    ])('%s answered %i has no body even with a Content-Length', (method, status) => {
      const response = feed(reader(method), `HTTP/1.1 ${status} X\r\ncontent-length: 42\r\n\r\n`);
      expect(response.status).toBe(status);
      expect(response.body).toHaveLength(0);
      // Nothing is awaited after the head, so the connection stays usable.
      expect(response.reusable).toBe(true);
    });

    it('answers a HEAD request with a chunked header at the end of its head', () => {
      const response = feed(reader('HEAD'), 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
      expect(response.body).toHaveLength(0);
    });
  });

  describe('1xx answers', () => {
    it('skips 100 Continue and 103 Early Hints before the real answer', () => {
      const response = feed(
        reader(),
        'HTTP/1.1 100 Continue\r\n\r\n',
        'HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n',
        'HTTP/1.1 201 Created\r\ncontent-length: 4\r\n\r\ndone',
      );
      expect(response.status).toBe(201);
      expect(response.body.toString()).toBe('done');
      // The hints' fields belong to the hints, not to the answer.
      expect(response.headers['link']).toBeUndefined();
      expect(response.reusable).toBe(true);
    });

    it('skips 1xx answers that arrive in the same piece as the real one', () => {
      const response = feed(
        reader(),
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
      );
      expect(response.status).toBe(200);
      expect(response.body.toString()).toBe('ok');
    });

    it('refuses 101 Switching Protocols: the transport never asks for an upgrade', () => {
      const error = thrownBy(() =>
        reader().push(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n')),
      );
      expect(error).toBeInstanceOf(ResponseFormatError);
      expect(error.message).toContain('101');
    });
  });

  describe('whether the connection is reusable', () => {
    it.each(['close', 'Close', 'keep-alive, close', 'Upgrade , CLOSE'])('not after `connection: %s`', (value) => {
      const response = feed(reader(), `HTTP/1.1 200 OK\r\nconnection: ${value}\r\ncontent-length: 2\r\n\r\nok`);
      expect(response.body.toString()).toBe('ok');
      expect(response.reusable).toBe(false);
    });

    it('not when `close` is in a second Connection field', () => {
      const response = feed(
        reader(),
        'HTTP/1.1 200 OK\r\nconnection: keep-alive\r\nConnection: close\r\ncontent-length: 0\r\n\r\n',
      );
      expect(response.reusable).toBe(false);
    });

    it('yes with other Connection options', () => {
      const response = feed(reader(), 'HTTP/1.1 200 OK\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n');
      expect(response.reusable).toBe(true);
    });

    it('not after an HTTP/1.0 response, even one asking for keep-alive', () => {
      const response = feed(reader(), 'HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 2\r\n\r\nok');
      expect(response.body.toString()).toBe('ok');
      expect(response.reusable).toBe(false);
    });

    it.each([
      ['a Content-Length body', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n'],
      ['a chunked body', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nX'],
      ['a 204', 'HTTP/1.1 204 No Content\r\n\r\nX'],
    ])('not when bytes follow %s (the connection is out of step)', (_name, bytes) => {
      const response = feed(reader(), bytes);
      expect(response.reusable).toBe(false);
    });

    it('an extra byte does not enter the body', () => {
      expect(feed(reader(), 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokX').body.toString()).toBe('ok');
    });
  });

  describe('header fields', () => {
    it('lower-cases names, trims values, joins repeats with ", " and keeps set-cookie as an array', () => {
      const response = feed(
        reader(),
        'HTTP/1.1 200 OK\r\n' +
          'Content-Type:text/plain  \r\n' +
          'X-Repeat: one\r\n' +
          'x-REPEAT: \ttwo\r\n' +
          'x-repeat: three\r\n' +
          'Set-Cookie: a=1; Path=/\r\n' +
          'set-cookie: b=2, c=3\r\n' +
          'x-empty:\r\n' +
          'content-length: 0\r\n\r\n',
      );
      expect(response.headers).toEqual({
        'content-type': 'text/plain',
        'x-repeat': 'one, two, three',
        'set-cookie': ['a=1; Path=/', 'b=2, c=3'],
        'x-empty': '',
        'content-length': '0',
      });
    });

    it('keeps a single set-cookie as an array too', () => {
      const response = feed(reader(), 'HTTP/1.1 200 OK\r\nset-cookie: a=1\r\ncontent-length: 0\r\n\r\n');
      expect(response.headers['set-cookie']).toEqual(['a=1']);
    });

    it('gives headers no prototype, so a `constructor` or `__proto__` field is only a field', () => {
      const response = feed(reader(), 'HTTP/1.1 200 OK\r\n__proto__: x\r\nconstructor: y\r\ncontent-length: 0\r\n\r\n');
      expect(Object.getPrototypeOf(response.headers)).toBeNull();
      expect(response.headers['__proto__']).toBe('x');
      expect(response.headers['constructor']).toBe('y');
    });

    it('accepts a status line without a reason phrase', () => {
      expect(feed(reader(), 'HTTP/1.1 404\r\ncontent-length: 0\r\n\r\n').status).toBe(404);
    });
  });

  describe('malformed responses', () => {
    it.each([
      ['an HTTP/2 status line', 'HTTP/2 200 OK\r\n\r\n', 'malformed status line'],
      ['a two-digit status', 'HTTP/1.1 20 OK\r\n\r\n', 'malformed status line'],
      ['a status below 100', 'HTTP/1.1 099 OK\r\n\r\n', 'malformed status line'],
      ['a status glued to its reason', 'HTTP/1.1 200OK\r\n\r\n', 'malformed status line'],
      ['a status line that is not HTTP', 'ICY 200 OK\r\n\r\n', 'malformed status line'],
      ['an obs-fold continuation line', 'HTTP/1.1 200 OK\r\nx-a: 1\r\n  folded\r\n\r\n', 'malformed header field'],
      ['a field line without a colon', 'HTTP/1.1 200 OK\r\nx-a 1\r\n\r\n', 'malformed header field'],
      ['white space before the colon', 'HTTP/1.1 200 OK\r\nx-a : 1\r\n\r\n', 'malformed header field'],
      ['a field name that is not a token', 'HTTP/1.1 200 OK\r\nx(a): 1\r\n\r\n', 'malformed header field'],
      ['a non-digit Content-Length', 'HTTP/1.1 200 OK\r\ncontent-length: 1a\r\n\r\n', 'malformed Content-Length'],
      ['a negative Content-Length', 'HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n', 'malformed Content-Length'],
      ['an empty Content-Length', 'HTTP/1.1 200 OK\r\ncontent-length:\r\n\r\n', 'malformed Content-Length'],
      [
        'two different Content-Length fields',
        'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\n',
        'malformed Content-Length',
      ],
      [
        'a Content-Length list of different values',
        'HTTP/1.1 200 OK\r\ncontent-length: 5, 6\r\n\r\n',
        'malformed Content-Length',
      ],
      [
        'a chunk size that is not hex',
        'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
        'malformed chunk size',
      ],
      ['an empty chunk size line', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\r\n', 'malformed chunk size'],
      [
        'a 0x-prefixed chunk size',
        'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0x5\r\n',
        'malformed chunk size',
      ],
      [
        'chunk data not followed by CRLF',
        'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhelloXY0\r\n\r\n',
        'chunk data not followed by CRLF',
      ],
      [
        'a malformed trailer field',
        'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\nnot a field\r\n\r\n',
        'malformed trailer field',
      ],
    ])('refuses %s', (_name, bytes, reason) => {
      const error = thrownBy(() => reader().push(Buffer.from(bytes, 'latin1')));
      expect(error).toBeInstanceOf(ResponseFormatError);
      expect((error as ResponseFormatError).code).toBe('ERR_HTTP_MALFORMED');
      expect(error.message).toBe(reason);
    });

    it('refuses a chunk size line that never ends, without waiting for its CRLF', () => {
      const target = reader();
      target.push(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n'));
      expect(thrownBy(() => target.push(Buffer.from(`1;${'x'.repeat(2000)}`)))).toBeInstanceOf(ResponseFormatError);
    });

    it('refuses a head larger than maxHeadBytes as soon as it passes the limit, before its end arrives', () => {
      const target = reader();
      target.push(Buffer.from('HTTP/1.1 200 OK\r\nx-big: '));
      const piece = Buffer.alloc(1024, 'a');
      let pushed = 0;
      const error = thrownBy(() => {
        for (;;) {
          target.push(piece);
          pushed += piece.length;
        }
      });
      expect(error).toBeInstanceOf(ResponseFormatError);
      expect(error.message).toBe(`header section larger than ${maxHeadBytes} bytes`);
      expect(pushed).toBeLessThanOrEqual(maxHeadBytes);
      expect(pushed).toBeGreaterThan(maxHeadBytes - 2 * piece.length);
    });

    it('refuses a complete head larger than maxHeadBytes that arrives in one piece', () => {
      const head = `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(maxHeadBytes)}\r\ncontent-length: 0\r\n\r\n`;
      const error = thrownBy(() => reader().push(Buffer.from(head)));
      expect(error).toBeInstanceOf(ResponseFormatError);
      expect(error.message).toContain('header section larger than');
    });

    it('accepts a head of exactly maxHeadBytes before its blank line', () => {
      const prefix = 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\nx-big: ';
      const head = `${prefix}${'a'.repeat(maxHeadBytes - prefix.length)}\r\n\r\n`;
      expect(feed(reader(), head).headers['x-big']).toHaveLength(maxHeadBytes - prefix.length);
    });
  });

  describe('the body cap', () => {
    it('refuses a Content-Length over the cap from the head alone, before any body byte', () => {
      const error = thrownBy(() =>
        reader('GET', 1024).push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 1025\r\n\r\n')),
      );
      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect((error as ResponseTooLargeError).code).toBe('ERR_HTTP_TOO_LARGE');
      expect((error as ResponseTooLargeError).maxBytes).toBe(1024);
      expect(error.message).toBe('response is larger than 1024 bytes');
    });

    it('accepts a body of exactly the cap', () => {
      const response = feed(reader('GET', 4), 'HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n', 'abcd');
      expect(response.body.toString()).toBe('abcd');
    });

    it('refuses a chunk that would pass the cap from its size line, before its data arrives', () => {
      const target = reader('GET', 1024);
      target.push(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n'));
      expect(target.push(Buffer.from(`3ff\r\n${'a'.repeat(0x3ff)}\r\n`))).toBeUndefined();
      // 1023 bytes so far: a 2-byte chunk is one too many, and only its size line has arrived.
      const error = thrownBy(() => target.push(Buffer.from('2\r\n')));
      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect((error as ResponseTooLargeError).maxBytes).toBe(1024);
    });

    it('refuses a huge chunk size at once', () => {
      const target = reader('GET', 1024);
      const error = thrownBy(() =>
        target.push(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nffffffffffff\r\n')),
      );
      expect(error).toBeInstanceOf(ResponseTooLargeError);
    });

    it('refuses a body read to the connection end once it passes the cap', () => {
      const target = reader('GET', 8);
      expect(target.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\n12345678'))).toBeUndefined();
      expect(thrownBy(() => target.push(Buffer.from('9')))).toBeInstanceOf(ResponseTooLargeError);
    });
  });

  describe('a connection that ends early', () => {
    it('is cut short mid-body (Content-Length)', () => {
      const target = reader();
      expect(target.push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhe'))).toBeUndefined();
      const error = thrownBy(() => target.end());
      expect(error).toBeInstanceOf(ResponseCutShortError);
      expect((error as ResponseCutShortError).code).toBe('ECONNRESET');
      expect(error.message).toBe('connection closed mid-body');
    });

    it('is cut short mid-body (chunked, before the last chunk)', () => {
      const target = reader();
      expect(
        target.push(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n')),
      ).toBeUndefined();
      expect(thrownBy(() => target.end())).toBeInstanceOf(ResponseCutShortError);
    });

    it('is cut short mid-head', () => {
      const target = reader();
      expect(target.push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-'))).toBeUndefined();
      const error = thrownBy(() => target.end());
      expect(error).toBeInstanceOf(ResponseCutShortError);
      expect(error.message).toBe('connection closed before a complete response head');
    });

    it('is cut short after only a 1xx answer', () => {
      const target = reader();
      expect(target.push(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'))).toBeUndefined();
      expect(thrownBy(() => target.end())).toBeInstanceOf(ResponseCutShortError);
    });

    it('reports whether any byte arrived (an unanswered request on a reused connection may be resent)', () => {
      const target = reader();
      expect(target.started).toBe(false);
      expect(thrownBy(() => target.end())).toBeInstanceOf(ResponseCutShortError);
      expect(target.started).toBe(false);
      target.push(Buffer.from('H'));
      expect(target.started).toBe(true);
    });
  });

  describe('error messages', () => {
    // The store's answers carry secrets and tokens: a reason names what broke, never the bytes.
    it.each([
      ['a status line', `HTTP/1.1 2${canaryValue}\r\n\r\n`],
      ['a field line without a colon', `HTTP/1.1 200 OK\r\nx-token ${canaryValue}\r\n\r\n`],
      ['an obs-fold line', `HTTP/1.1 200 OK\r\nx-token: a\r\n ${canaryValue}\r\n\r\n`],
      ['a Content-Length', `HTTP/1.1 200 OK\r\ncontent-length: ${canaryValue}\r\n\r\n`],
      ['a chunk size line', `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${canaryValue}\r\n`],
      [
        'chunk data without its CRLF',
        `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n${canaryValue}\r\n0\r\n\r\n`,
      ],
      ['a trailer field', `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n${canaryValue}\r\n\r\n`],
      ['a body over the cap', `HTTP/1.1 200 OK\r\nx-token: ${canaryValue}\r\n\r\n${canaryValue.repeat(100)}`],
      ['a head over the limit', `HTTP/1.1 200 OK\r\nx-token: ${canaryValue.repeat(3000)}\r\n\r\n`],
    ])('do not quote %s', (_name, bytes) => {
      const error = thrownBy(() => reader('GET', 64).push(Buffer.from(bytes, 'latin1')));
      expect(error).toBeInstanceOf(Error);
      expect(error.message).not.toContain(canaryValue);
      expect(error.message).not.toContain('canary');
    });

    it('do not quote a body cut short', () => {
      const target = reader();
      target.push(
        Buffer.from(`HTTP/1.1 200 OK\r\nx-token: ${canaryValue}\r\ncontent-length: 500\r\n\r\n${canaryValue}`),
      );
      const error = thrownBy(() => target.end());
      expect(error).toBeInstanceOf(ResponseCutShortError);
      expect(error.message).not.toContain('canary');
    });
  });
});
