// Issue 12.9: a read on a sealed store is expected operation, not a failure: it answers 503
// ERR_STORE_SEALED and logs at info, never at error level.
import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { recordLogText } from '../../helpers/log-capture.js';
import { startTestStore } from '../support/store-server.js';

it('issue 12.9: a read on a sealed store is not an error-level log line', async () => {
  const lines: Array<{ level: number; msg: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString('utf8');
      recordLogText(text);
      for (const line of text.split('\n'))
        if (line !== '') lines.push(JSON.parse(line) as { level: number; msg: string });
      callback();
    },
  });
  const store = await startTestStore({ log: createLogger({ level: 'debug', destination }) });
  try {
    expect((await store.request({ method: 'PUT', path: '/secrets/v1/seal/default' })).status).toBe(200);
    const before = lines.length;
    const read = await store.request({ path: '/secrets/v1/secret/default/any/thing' });
    expect(read.status).toBe(503);
    expect(read.json).toMatchObject({ code: 'ERR_STORE_SEALED' });
    const logged = lines.slice(before);
    expect(logged.map((line) => line.msg)).toContain('request refused: store sealed');
    expect(logged.filter((line) => line.level >= 50)).toEqual([]);
  } finally {
    await store.close();
  }
});
