// readBody's handling of a sensitive body (a secret value, an unseal key): every chunk it saw is
// zeroed, including those that keep arriving after the body went over the cap. The request is a
// real stream standing in for IncomingMessage (the reader needs only its events and headers), so
// the test can hold the very Buffers the reader was handed.
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../../src/store/http/read-body.js';

function request(): PassThrough & { headers: Record<string, string> } {
  return Object.assign(new PassThrough(), { headers: {} as Record<string, string> });
}

const filled = (size: number, byte: number): Buffer => Buffer.alloc(size, byte);
const isZero = (chunk: Buffer): boolean => chunk.every((byte) => byte === 0);

describe('readBody (sensitive)', () => {
  it('joins the chunks into one buffer and zeroes the chunks', async () => {
    const req = request();
    const sent = [filled(10, 1), filled(10, 2)];
    const reading = readBody(req as unknown as IncomingMessage, 100, { sensitive: true });
    for (const chunk of sent) req.write(chunk);
    req.end();
    const body = await reading;
    expect(body.length).toBe(20);
    expect(body.subarray(0, 10).every((byte) => byte === 1)).toBe(true);
    expect(sent.every(isZero)).toBe(true);
  });

  it('past the cap: 413 error, and what was held and what still arrives is zeroed', async () => {
    const req = request();
    const reading = readBody(req as unknown as IncomingMessage, 15, { sensitive: true });
    const before = [filled(10, 3), filled(10, 4)];
    for (const chunk of before) req.write(chunk);
    await expect(reading).rejects.toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
    const after = [filled(10, 5), filled(10, 6)];
    for (const chunk of after) req.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
    expect([...before, ...after].every(isZero)).toBe(true);
  });

  it('leaves the chunks of a body that is not sensitive alone', async () => {
    const req = request();
    const sent = filled(10, 7);
    const reading = readBody(req as unknown as IncomingMessage, 100);
    req.end(sent);
    expect((await reading).equals(filled(10, 7))).toBe(true);
    expect(sent.every((byte) => byte === 7)).toBe(true);
  });
});
