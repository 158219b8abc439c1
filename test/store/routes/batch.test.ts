// issue 13: the batch read `POST /secrets/v1/batch/{store}`: per-path authorization and results
// identical to single GETs, caps on paths and bytes, a sealed store answering 503.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../../helpers/canary.js';
import { capturedLogLines } from '../../helpers/log-capture.js';
import { maxBatchBodyBytes, maxBatchPaths } from '../../../src/store/routes/batch.js';
import { createRecordingAccess, startTestStore, type RawResponse, type TestStore } from '../support/store-server.js';

const alice = { authorization: 'token=alice' };
const json = { 'content-type': 'application/json' };
const batchPath = '/secrets/v1/batch/default';
let store: TestStore;
const access = createRecordingAccess();

beforeAll(async () => {
  store = await startTestStore({ access });
  const put = async (path: string, body: string | Uint8Array, type: string): Promise<void> => {
    const response = await store.request({
      method: 'PUT',
      path: `/secrets/v1/secret/default/${path}`,
      headers: { ...alice, 'content-type': type },
      body,
    });
    expect(response.status).toBe(201);
  };
  await put('app/db', JSON.stringify({ value: canaryValue, description: 'db password' }), 'application/json');
  await put('app/blob', new Uint8Array([0, 1, 2, 255]), 'application/octet-stream');
  await put('app/hidden', JSON.stringify({ value: 'not for alice' }), 'application/json');
  access.deny.add('dcos:secrets:default:/app/hidden read');
});

afterAll(async () => {
  await store.close();
});

function batch(paths: unknown, headers: Record<string, string> = alice): Promise<RawResponse> {
  return store.request({
    method: 'POST',
    path: batchPath,
    headers: { ...json, ...headers },
    body: JSON.stringify({ paths }),
  });
}

function get(path: string): Promise<RawResponse> {
  return store.request({ path: `/secrets/v1/secret/default/${path}`, headers: { ...alice, accept: '*/*' } });
}

describe('POST /secrets/v1/batch/{store}', () => {
  it('answers each path as its GET would: text, binary, forbidden, missing, invalid', async () => {
    access.calls.length = 0;
    const paths = ['app/db', 'app/blob', 'app/hidden', 'app/missing', 'app/../db'];
    const response = await batch(paths);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['cache-control']).toBe('no-store');
    const { results } = response.json as { results: Array<Record<string, unknown>> };
    expect(results.map((item) => item['path'])).toEqual(paths);

    // Text: the GET's own `Secret` document, byte for byte.
    const single = await get('app/db');
    expect(results[0]).toEqual({ path: 'app/db', status: 200, secret: single.json });
    expect(results[1]).toEqual({
      path: 'app/blob',
      status: 200,
      binary: Buffer.from([0, 1, 2, 255]).toString('base64'),
    });

    // Errors: the GET's status and body.
    for (const [index, path] of [
      [2, 'app/hidden'],
      [3, 'app/missing'],
    ] as const) {
      const alone = await get(path);
      expect(results[index]).toEqual({ path, status: alone.status, error: alone.json });
    }
    expect(results[2]).toMatchObject({ status: 403, error: { code: 'ERR_FORBIDDEN' } });
    expect(results[3]).toMatchObject({ status: 404, error: { code: 'ERR_SECRET_NOT_FOUND' } });
    expect(results[4]).toMatchObject({ status: 400, error: { code: 'ERR_SECRET_PATH_INVALID' } });

    // Each valid path was authorized on its own, with the GET's rid and action.
    expect(access.calls).toEqual(
      expect.arrayContaining([
        'dcos:secrets:default:/app/db read',
        'dcos:secrets:default:/app/blob read',
        'dcos:secrets:default:/app/hidden read',
        'dcos:secrets:default:/app/missing read',
      ]),
    );
    expect(capturedLogLines().join('\n')).not.toContain(canaryValue);
  });

  it('refuses an unauthenticated caller as a whole (401), before reading the body', async () => {
    const response = await batch(['app/db'], { authorization: 'token=mallory' });
    expect(response.status).toBe(401);
    expect(response.body.toString('utf8')).not.toContain(canaryValue);
  });

  it('caps the number of paths and the body size; checks the shape with a JSON pointer', async () => {
    const tooMany = await batch(Array.from({ length: maxBatchPaths + 1 }, (_unused, index) => `a/s${index}`));
    expect(tooMany.status).toBe(400);
    expect(tooMany.json).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect((tooMany.json as { description: string }).description).toContain(`/paths: expected 1 to ${maxBatchPaths}`);

    const huge = await store.request({
      method: 'POST',
      path: batchPath,
      headers: { ...json, ...alice },
      body: JSON.stringify({ paths: ['a'.repeat(maxBatchBodyBytes)] }),
    });
    expect(huge.status).toBe(413);
    expect(huge.json).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });

    const empty = await batch([]);
    expect(empty.status).toBe(400);
    const notString = await batch(['app/db', 7]);
    expect((notString.json as { description: string }).description).toContain('/paths/1: expected a string');
    const wrongType = await store.request({
      method: 'POST',
      path: batchPath,
      headers: { ...alice, 'content-type': 'application/octet-stream' },
      body: '{"paths":["app/db"]}',
    });
    expect(wrongType.json).toMatchObject({ code: 'ERR_CONTENT_TYPE_UNSUPPORTED' });
  });

  it('answers 405 to a GET and 404 for an unknown store', async () => {
    expect((await store.request({ path: batchPath, headers: alice })).status).toBe(405);
    const unknown = await store.request({
      method: 'POST',
      path: '/secrets/v1/batch/other',
      headers: { ...json, ...alice },
      body: '{"paths":["app/db"]}',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'ERR_STORE_NOT_FOUND' });
  });
});

describe('batch read on a sealed store', () => {
  it('answers 503 ERR_STORE_SEALED for the whole request, as a GET does', async () => {
    const bootstrap = await startTestStore();
    try {
      await bootstrap.request({
        method: 'PUT',
        path: '/secrets/v1/secret/default/a/b',
        headers: json,
        body: '{"value":"x"}',
      });
      expect((await bootstrap.request({ method: 'PUT', path: '/secrets/v1/seal/default' })).status).toBe(200);
      const response = await bootstrap.request({
        method: 'POST',
        path: batchPath,
        headers: json,
        body: '{"paths":["a/b"]}',
      });
      expect(response.status).toBe(503);
      expect(response.json).toMatchObject({ code: 'ERR_STORE_SEALED' });
      const single = await bootstrap.request({ path: '/secrets/v1/secret/default/a/b' });
      expect(single.status).toBe(503);
    } finally {
      await bootstrap.close();
    }
  });
});
