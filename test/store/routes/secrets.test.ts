import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../../helpers/canary.js';
import { capturedLogLines } from '../../helpers/log-capture.js';
import {
  createRecordingAccess,
  rawRequest,
  startTestStore,
  type RawResponse,
  type TestStore,
} from '../support/store-server.js';

const base = '/secrets/v1/secret/default';
const json = { 'content-type': 'application/json' };
let store: TestStore;

beforeAll(async () => {
  store = await startTestStore();
});

afterAll(async () => {
  await store.close();
});

function put(path: string, body: unknown, headers: Record<string, string> = json): Promise<RawResponse> {
  return store.request({
    method: 'PUT',
    path: `${base}/${path}`,
    headers,
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
}

function expectError(response: RawResponse, status: number, code: string, description?: string): void {
  expect(response.status, response.body.toString('utf8')).toBe(status);
  expect(response.headers['content-type']).toBe('application/json');
  const body = response.json as { title: string; description: string; code: string };
  expect(body.code).toBe(code);
  expect(typeof body.title).toBe('string');
  if (description !== undefined) expect(body.description).toContain(description);
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('secret CRUD', () => {
  it('PUT 201, PUT again 409 "already exists", GET 200, PATCH 204, DELETE 204, then 404 "does not exist"', async () => {
    const created = await put('developer/my-secret', { value: 'very-secret' });
    expect(created.status).toBe(201);
    expect(created.body.length).toBe(0);

    const again = await put('developer/my-secret', { value: 'other' });
    expectError(again, 409, 'ERR_SECRET_EXISTS', 'Secret `developer/my-secret` already exists');
    expect(again.json).toEqual({
      title: 'Conflict',
      description: 'Secret `developer/my-secret` already exists',
      code: 'ERR_SECRET_EXISTS',
    });

    const got = await store.request({ path: `${base}/developer/my-secret` });
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toBe('application/json');
    expect((got.json as { value: string }).value).toBe('very-secret');

    const patched = await store.request({
      method: 'PATCH',
      path: `${base}/developer/my-secret`,
      headers: json,
      body: '{"value":"updated"}',
    });
    expect(patched.status).toBe(204);
    expect(((await store.request({ path: `${base}/developer/my-secret` })).json as { value: string }).value).toBe(
      'updated',
    );

    expect((await store.request({ method: 'DELETE', path: `${base}/developer/my-secret` })).status).toBe(204);
    expectError(
      await store.request({ path: `${base}/developer/my-secret` }),
      404,
      'ERR_SECRET_NOT_FOUND',
      'Secret `developer/my-secret` does not exist',
    );
    expectError(
      await store.request({ method: 'DELETE', path: `${base}/developer/my-secret` }),
      404,
      'ERR_SECRET_NOT_FOUND',
      'does not exist',
    );
    expectError(
      await store.request({
        method: 'PATCH',
        path: `${base}/developer/my-secret`,
        headers: json,
        body: '{"value":"x"}',
      }),
      404,
      'ERR_SECRET_NOT_FOUND',
      'does not exist',
    );
  });

  it('GET on a folder (children, no secret) is 404', async () => {
    expect((await put('only-folder/child', { value: 'c' })).status).toBe(201);
    expectError(await store.request({ path: `${base}/only-folder` }), 404, 'ERR_SECRET_NOT_FOUND', 'does not exist');
  });

  it('keeps description and labels, sets author and times itself; PATCH keeps created and metadata', async () => {
    const created = await put('meta/one', {
      value: 'v1',
      description: 'the db password',
      labels: ['db', 'blue'],
      author: 'someone-else',
      created: '1999-01-01',
    });
    expect(created.status).toBe(201);
    const first = (await store.request({ path: `${base}/meta/one` })).json as Record<string, unknown>;
    expect(first).toMatchObject({
      value: 'v1',
      description: 'the db password',
      labels: ['db', 'blue'],
      author: 'bootstrap',
    });
    expect(first['created']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(first['created']).not.toBe('1999-01-01');
    await store.request({ method: 'PATCH', path: `${base}/meta/one`, headers: json, body: '{"value":"v2"}' });
    const second = (await store.request({ path: `${base}/meta/one` })).json as Record<string, unknown>;
    expect(second).toMatchObject({
      value: 'v2',
      description: 'the db password',
      labels: ['db', 'blue'],
      created: first['created'],
    });
    expect(Date.parse(second['updated'] as string)).toBeGreaterThanOrEqual(Date.parse(first['updated'] as string));
  });

  it('treats a PUT without Content-Type as JSON', async () => {
    expect((await put('no-content-type', '{"value":"plain"}', {})).status).toBe(201);
    expect((await store.request({ path: `${base}/no-content-type` })).json).toMatchObject({ value: 'plain' });
  });

  it('accepts application/json; charset=utf-8 and keeps UTF-8 text intact', async () => {
    expect(
      (
        await put('utf8', JSON.stringify({ value: 'pässwörd ✓ 🔑' }), {
          'content-type': 'application/json; charset=utf-8',
        })
      ).status,
    ).toBe(201);
    expect((await store.request({ path: `${base}/utf8` })).json).toMatchObject({ value: 'pässwörd ✓ 🔑' });
  });
});

describe('listing (reference §1.4, verbatim)', () => {
  beforeAll(async () => {
    for (const path of ['key1', 'folder/key2', 'folder/sub/key4', 'folder/sub']) {
      expect((await put(`list-test/${path}`, { value: path })).status).toBe(201);
    }
    expect(
      (await put('list-test/folder/key3', Buffer.from([1, 2, 3]), { 'content-type': 'application/octet-stream' }))
        .status,
    ).toBe(201);
  });

  const list = async (path: string): Promise<unknown> => {
    const response = await store.request({ path: `${base}/${path}?list=true` });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    return (response.json as { array: unknown }).array;
  };

  it('matches the dcos-migrate expectations', async () => {
    expect(await list('list-test')).toEqual(['folder/key2', 'folder/key3', 'folder/sub', 'folder/sub/key4', 'key1']);
    expect(await list('list-test/folder')).toEqual(['key2', 'key3', 'sub', 'sub/key4']);
    expect(await list('list-test/folder/sub')).toEqual(['key4']);
    expect(await list('list-test/folder/sub/key4')).toEqual([]);
    expect(await list('list-test/fold')).toEqual([]);
    expect(await list('list-test/not/a/folder')).toEqual([]);
  });

  it('lists the root with `default/?list=true` (MIGRATE, BACKUP, SDK) and a trailing slash', async () => {
    const root = (await list('')) as string[];
    expect(root).toContain('list-test/folder/sub/key4');
    expect(root).toEqual([...root].sort());
    expect(await list('list-test/folder/')).toEqual(['key2', 'key3', 'sub', 'sub/key4']);
  });

  it('the secret and the folder at `folder/sub` are both readable', async () => {
    expect((await store.request({ path: `${base}/list-test/folder/sub` })).json).toMatchObject({ value: 'folder/sub' });
    expect((await store.request({ path: `${base}/list-test/folder/sub/key4` })).json).toMatchObject({
      value: 'folder/sub/key4',
    });
  });
});

describe('text and binary', () => {
  const bytes = Buffer.from([0x76, 0x61, 0x6c, 0x75, 0x65, 0x85, 0xff, 0x33]);

  it('round-trips binary bytes 76 61 6c 75 65 85 ff 33 and answers in the stored form', async () => {
    expect((await put('bin/blob', bytes, { 'content-type': 'application/octet-stream' })).status).toBe(201);
    for (const accept of [undefined, '*/*', 'application/octet-stream', 'application/json, application/octet-stream']) {
      const response = await store.request({
        path: `${base}/bin/blob`,
        ...(accept === undefined ? {} : { headers: { accept } }),
      });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/octet-stream');
      expect(response.body.toString('hex')).toBe('76616c756585ff33');
    }
  });

  it('refuses a binary secret as JSON (400 ERR_ACCEPT_UNSUPPORTED) and odd Accept values', async () => {
    expectError(
      await store.request({ path: `${base}/bin/blob`, headers: { accept: 'application/json' } }),
      400,
      'ERR_ACCEPT_UNSUPPORTED',
      'binary',
    );
    expect((await put('bin/text', { value: 'abc' })).status).toBe(201);
    expectError(
      await store.request({ path: `${base}/bin/text`, headers: { accept: 'text/plain' } }),
      400,
      'ERR_ACCEPT_UNSUPPORTED',
      'Unsupported Accept header',
    );
  });

  it('returns a text secret as raw bytes with Accept: application/octet-stream', async () => {
    const response = await store.request({ path: `${base}/bin/text`, headers: { accept: 'application/octet-stream' } });
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.body.toString('utf8')).toBe('abc');
    const preferred = await store.request({
      path: `${base}/bin/text`,
      headers: { accept: 'application/json;q=0.2, application/octet-stream' },
    });
    expect(preferred.headers['content-type']).toBe('application/octet-stream');
  });

  it('PATCH with octet-stream turns a text secret binary (BACKUP restores this way)', async () => {
    expect((await put('bin/switch', { value: 'text first' })).status).toBe(201);
    const patched = await store.request({
      method: 'PATCH',
      path: `${base}/bin/switch`,
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(patched.status).toBe(204);
    const response = await store.request({ path: `${base}/bin/switch` });
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.body).toEqual(bytes);
  });

  it('refuses other request Content-Types (400 ERR_CONTENT_TYPE_UNSUPPORTED)', async () => {
    expectError(
      await put('bin/plain', 'hello', { 'content-type': 'text/plain' }),
      400,
      'ERR_CONTENT_TYPE_UNSUPPORTED',
      'Unsupported Content-Type header `text/plain`',
    );
  });
});

describe('real client request shapes', () => {
  it('Portworx: JSON headers on every call, GET/DELETE with empty body, create-or-update on "already exists"', async () => {
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    // LOS stores a JSON document inside `value`.
    const value = JSON.stringify({ foo: 'bar', count: 10 });
    const createOrUpdate = async (path: string, text: string): Promise<number> => {
      const created = await store.request({
        method: 'PUT',
        path: `${base}/${path}`,
        headers,
        body: JSON.stringify({ value: text }),
      });
      if (created.status >= 200 && created.status < 300) return created.status;
      const description = (created.json as { description?: string }).description ?? created.body.toString('utf8');
      if (!description.includes('already exists')) throw new Error(description);
      return (
        await store.request({
          method: 'PATCH',
          path: `${base}/${path}`,
          headers,
          body: JSON.stringify({ value: text }),
        })
      ).status;
    };
    expect(await createOrUpdate('osd/test/secret_with_default_store', value)).toBe(201);
    expect(await createOrUpdate('osd/test/secret_with_default_store', JSON.stringify({ foo: 'baz' }))).toBe(204);
    const got = await store.request({
      method: 'GET',
      path: `${base}/osd/test/secret_with_default_store`,
      headers,
      body: '',
    });
    expect(got.status).toBe(200);
    expect(JSON.parse((got.json as { value: string }).value)).toEqual({ foo: 'baz' });
    // An empty value goes out as `{}` (omitempty).
    expect((await store.request({ method: 'PUT', path: `${base}/osd/test/empty`, headers, body: '{}' })).status).toBe(
      201,
    );
    expect((await store.request({ path: `${base}/osd/test/empty`, headers })).json).toMatchObject({ value: '' });
    expect(
      (await store.request({ method: 'DELETE', path: `${base}/osd/test/secret_with_default_store`, headers, body: '' }))
        .status,
    ).toBe(204);
    expectError(
      await store.request({ path: `${base}/osd/test/secret_with_default_store`, headers }),
      404,
      'ERR_SECRET_NOT_FOUND',
      'does not exist',
    );
    expectError(
      await store.request({ method: 'DELETE', path: `${base}/dummy`, headers }),
      404,
      'ERR_SECRET_NOT_FOUND',
      'does not exist',
    );
    expectError(
      await store.request({ path: '/secrets/v1/secret/fake/any/secret/path', headers }),
      404,
      'ERR_STORE_NOT_FOUND',
      'store not found',
    );
    expect(
      ((await store.request({ path: '/secrets/v1/secret/fake/any', headers })).json as { description: string })
        .description,
    ).toContain('Store `fake` not found');
  });

  it('dcos-migrate: Accept */*, exact Content-Type for text and binary', async () => {
    expect((await put('migrate/text', { value: 'migrated' })).status).toBe(201);
    expect(
      (await put('migrate/bin', Buffer.from([0, 1, 2, 255]), { 'content-type': 'application/octet-stream' })).status,
    ).toBe(201);
    const text = await store.request({ path: `${base}/migrate/text`, headers: { accept: '*/*' } });
    expect(text.headers['content-type']).toBe('application/json');
    expect((text.json as { value: string }).value).toBe('migrated');
    const binary = await store.request({ path: `${base}/migrate/bin`, headers: { accept: '*/*' } });
    expect(binary.headers['content-type']).toBe('application/octet-stream');
    expect([...binary.body]).toEqual([0, 1, 2, 255]);
  });

  it('dcos-secrets-backup: lower-case content-type override and a 409 -> PATCH 204 restore', async () => {
    const headers = { 'Content-Type': 'application/json' };
    expect(
      (
        await store.request({
          method: 'PUT',
          path: `${base}/backup/blob`,
          headers: { ...headers, 'content-type': 'application/octet-stream' },
          body: Buffer.from([9, 8, 7]),
        })
      ).status,
    ).toBe(201);
    const again = await store.request({
      method: 'PUT',
      path: `${base}/backup/blob`,
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([6]),
    });
    expect(again.status).toBe(409);
    expect(
      (
        await store.request({
          method: 'PATCH',
          path: `${base}/backup/blob`,
          headers: { 'content-type': 'application/octet-stream' },
          body: Buffer.from([6]),
        })
      ).status,
    ).toBe(204);
    expect([...(await store.request({ path: `${base}/backup/blob` })).body]).toEqual([6]);
  });

  it('terraform: %2F in create, read and update paths; delete with plain slashes', async () => {
    const escaped = encodeURIComponent('tf/nested/secret');
    expect(escaped).toBe('tf%2Fnested%2Fsecret');
    expect((await put(escaped, { value: 'from-terraform' })).status).toBe(201);
    const read = await store.request({ path: `${base}/${escaped}`, headers: { accept: '*/*' } });
    expect((read.json as { value: string }).value).toBe('from-terraform');
    expect((await store.request({ path: `${base}/tf/nested?list=true` })).json).toEqual({ array: ['secret'] });
    expect(
      (await store.request({ method: 'PATCH', path: `${base}/${escaped}`, headers: json, body: '{"value":"v2"}' }))
        .status,
    ).toBe(204);
    expect((await store.request({ method: 'DELETE', path: `${base}/tf/nested/secret` })).status).toBe(204);
    expect((await store.request({ path: `${base}/${escaped}` })).status).toBe(404);
  });

  it('the SDK: author and description in PUT/PATCH bodies', async () => {
    const body = JSON.stringify({ author: 'hello-world', value: 'sdk', description: 'created by the SDK' });
    expect((await put('sdk/secret', body)).status).toBe(201);
    expect((await store.request({ method: 'PATCH', path: `${base}/sdk/secret`, headers: json, body })).status).toBe(
      204,
    );
  });
});

describe('issue 12.10: the Java SDK sends unset fields as null', () => {
  it('treats null in value, author, created, description and labels as absent (201/204), keeping stored metadata on PATCH', async () => {
    const create = '{"value":"java","author":"x","created":null,"description":"from java","labels":null}';
    expect((await put('java/secret', create)).status).toBe(201);
    const got = (await store.request({ path: `${base}/java/secret` })).json as Record<string, unknown>;
    expect(got).toMatchObject({ value: 'java', description: 'from java' });
    expect(got).not.toHaveProperty('labels');
    const patch = '{"value":"java2","author":null,"created":null,"description":null,"labels":null}';
    expect(
      (await store.request({ method: 'PATCH', path: `${base}/java/secret`, headers: json, body: patch })).status,
    ).toBe(204);
    expect((await store.request({ path: `${base}/java/secret` })).json).toMatchObject({
      value: 'java2',
      description: 'from java',
    });
    expect((await put('java/empty', '{"value":null}')).status).toBe(201);
    expect((await store.request({ path: `${base}/java/empty` })).json).toMatchObject({ value: '' });
    // Still refused: a truly unknown field, null or not.
    expectError(
      await put('java/bad', '{"value":"x","colour":null}'),
      400,
      'ERR_INPUT_INVALID',
      '/colour: unknown field',
    );
  });
});

describe('issue 12.7: text that is not UTF-8 is refused, not rewritten to U+FFFD', () => {
  it('400 ERR_INPUT_ENCODING naming /value for raw invalid bytes and lone surrogate escapes; nothing stored', async () => {
    const cases: Array<[string, Uint8Array | string]> = [
      ['raw 0xff', Buffer.concat([Buffer.from('{"value":"ab'), Buffer.of(0xff), Buffer.from('cd"}')])],
      ['overlong', Buffer.concat([Buffer.from('{"value":"'), Buffer.of(0xc0, 0xaf), Buffer.from('"}')])],
      ['encoded surrogate', Buffer.concat([Buffer.from('{"value":"'), Buffer.of(0xed, 0xa0, 0x80), Buffer.from('"}')])],
      ['truncated sequence', Buffer.concat([Buffer.from('{"value":"'), Buffer.of(0xe2, 0x82), Buffer.from('"}')])],
      ['lone high surrogate', '{"value":"\\ud800"}'],
      ['lone low surrogate', '{"value":"x\\udc00y"}'],
      ['high surrogate then a letter', '{"value":"\\ud83d\\u0041"}'],
    ];
    for (const [name, body] of cases) {
      const response = await put('utf8-bad/a', body);
      expect(response.status, name).toBe(400);
      expect((response.json as { code: string }).code, name).toBe('ERR_INPUT_ENCODING');
      expect((response.json as { description: string }).description, name).toContain('secret body /value: ');
    }
    const labelled = await put(
      'utf8-bad/a',
      Buffer.concat([Buffer.from('{"value":"ok","labels":["a","'), Buffer.of(0xff), Buffer.from('"]}')]),
    );
    expectError(labelled, 400, 'ERR_INPUT_ENCODING', 'secret body /labels/1: ');
    expect((await store.request({ path: `${base}/utf8-bad/a` })).status).toBe(404);
    // A proper surrogate pair and 4-byte UTF-8 are fine, and escapes decode to the same bytes.
    expect((await put('utf8-good/a', '{"value":"\\ud83d\\udd11 \\u00e4\\n\\"\\\\ \u{1F511}"}')).status).toBe(201);
    expect((await store.request({ path: `${base}/utf8-good/a` })).json).toMatchObject({ value: '🔑 ä\n"\\ 🔑' });
  });
});

describe('bad input', () => {
  it('400 for malformed JSON, non-objects, unknown fields and wrong types, naming the JSON pointer', async () => {
    expectError(await put('bad/a', '{"value":', json), 400, 'ERR_INPUT_INVALID', 'not valid JSON');
    expectError(await put('bad/a', '"just a string"', json), 400, 'ERR_INPUT_INVALID', 'expected a JSON object');
    expectError(await put('bad/a', '', json), 400, 'ERR_INPUT_INVALID', 'expected a JSON object');
    expectError(await put('bad/a', { value: 'x', colour: 'red' }), 400, 'ERR_INPUT_INVALID', '/colour: unknown field');
    expectError(await put('bad/a', { value: 5 }), 400, 'ERR_INPUT_INVALID', '/value: expected a string, got a number');
    expectError(await put('bad/a', { value: 'x', labels: ['ok', 3] }), 400, 'ERR_INPUT_INVALID', '/labels/1');
    expect((await store.request({ path: `${base}/bad/a` })).status).toBe(404);
  });

  it('400 ERR_SECRET_PATH_INVALID naming the segment, for raw and %-encoded paths', async () => {
    const cases: Array<[string, string]> = [
      ['a/../b', 'segment 2 `..`'],
      ['a/%2E%2E/b', 'segment 2 `..`'],
      ['a%2F..%2Fb', 'segment 2 `..`'],
      ['a//b', 'segment 2 `` is empty'],
      ['has%20space', 'segment 1 `has space`'],
      ['bad%ZZescape', 'malformed percent-escape'],
      ['back\\slash', 'segment 1 `back\\\\slash`'],
    ];
    for (const [path, message] of cases) {
      expectError(await put(path, { value: 'x' }), 400, 'ERR_SECRET_PATH_INVALID', message);
      expectError(await store.request({ path: `${base}/${path}` }), 400, 'ERR_SECRET_PATH_INVALID', message);
    }
    expectError(await put('', { value: 'x' }), 400, 'ERR_SECRET_PATH_INVALID', 'the path is empty');
    expectError(
      await put(Array.from({ length: 65 }, () => 's').join('/'), { value: 'x' }),
      400,
      'ERR_SECRET_PATH_INVALID',
      '65 segments',
    );
  });

  it('413 ERR_SECRET_TOO_LARGE above 1,047,552 bytes, with the limit in the message; exactly the limit fits', async () => {
    const limit = 1024 * 1024 - 1024;
    expect(limit).toBe(1_047_552);
    const binary = { 'content-type': 'application/octet-stream' };
    expect((await put('big/at-limit', Buffer.alloc(limit, 0xab), binary)).status).toBe(201);
    const stored = await store.request({ path: `${base}/big/at-limit` });
    expect(stored.body.length).toBe(limit);
    expectError(
      await put('big/over', Buffer.alloc(limit + 1, 0xab), binary),
      413,
      'ERR_SECRET_TOO_LARGE',
      'the limit is 1047552 bytes',
    );
    expectError(await put('big/over-text', { value: 'x'.repeat(limit + 1) }), 413, 'ERR_SECRET_TOO_LARGE', '1047552');
    // Multi-byte UTF-8 counts in bytes: 349,185 x 3 bytes = 1,047,555.
    expectError(await put('big/over-utf8', { value: '✓'.repeat(349_185) }), 413, 'ERR_SECRET_TOO_LARGE', '1047552');
    expect((await store.request({ path: `${base}/big/over` })).status).toBe(404);
  });

  it('413 ERR_BODY_TOO_LARGE past the 2 MiB body cap, and the connection is closed', async () => {
    const response = await rawRequest(store.url, {
      method: 'PUT',
      path: `${base}/big/huge`,
      headers: { authorization: `token=${store.token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(2 * 1024 * 1024 + 1),
    });
    expectError(response, 413, 'ERR_BODY_TOO_LARGE', `${2 * 1024 * 1024}`);
    expect(response.headers['connection']).toBe('close');
    // A declared length past the cap is refused before any body byte is read.
    const declared = await rawRequest(store.url, {
      method: 'PUT',
      path: `${base}/big/declared`,
      headers: {
        authorization: `token=${store.token}`,
        'content-type': 'application/json',
        'content-length': String(3 * 1024 * 1024),
      },
      body: '{}',
    }).catch((error: unknown) => error as Error);
    // The server may answer and close before the client finished writing (then the client sees a reset).
    if (!(declared instanceof Error)) expect(declared.status).toBe(413);
    expect((await store.request({ path: `${base}/big/huge` })).status).toBe(404);
  });
});

describe('storage at rest', () => {
  it('stores no value or metadata in clear, and a ciphertext moved to another path fails (ERR_STORE_CORRUPT)', async () => {
    expect(
      (
        await put('rest/canary', {
          value: canaryValue,
          description: 'canary-description-xyz',
          labels: ['canary-label-xyz'],
        })
      ).status,
    ).toBe(201);
    for (const file of await listFiles(store.dataDir)) {
      const content = (await readFile(file)).toString('latin1');
      expect(content, file).not.toContain(canaryValue);
      expect(content, file).not.toContain('canary-description-xyz');
      expect(content, file).not.toContain('canary-label-xyz');
      expect(content, file).not.toContain(Buffer.from(canaryValue).toString('base64'));
    }
    const entry = await store.storage.get('secrets/default/rest/canary');
    expect(entry).toBeDefined();
    await store.storage.put('secrets/default/rest/moved', entry?.value ?? new Uint8Array());
    expectError(
      await store.request({ path: `${base}/rest/moved` }),
      500,
      'ERR_STORE_CORRUPT',
      'Secret `rest/moved` failed its integrity check',
    );
    expect(((await store.request({ path: `${base}/rest/canary` })).json as { value: string }).value).toBe(canaryValue);
    // Errors and log lines never carry the value.
    expect(capturedLogLines().some((line) => line.includes('rest/moved'))).toBe(true);
  });
});

describe('authorization with DC/OS rids', () => {
  let guarded: TestStore;
  const access = createRecordingAccess();

  beforeAll(async () => {
    guarded = await startTestStore({ access });
  });

  afterAll(async () => {
    await guarded.close();
  });

  const as = (request: Parameters<TestStore['request']>[0]): Promise<RawResponse> =>
    guarded.request({ ...request, headers: { authorization: 'token=alice', ...request.headers } });

  it('asks for dcos:secrets:default:/<path> per action and dcos:secrets:list:default:/<path> read', async () => {
    access.calls.length = 0;
    expect((await as({ method: 'PUT', path: `${base}/team%2Fdb`, headers: json, body: '{"value":"v"}' })).status).toBe(
      201,
    );
    expect((await as({ path: `${base}/team/db` })).status).toBe(200);
    expect((await as({ method: 'PATCH', path: `${base}/team/db`, headers: json, body: '{"value":"w"}' })).status).toBe(
      204,
    );
    expect((await as({ path: `${base}/team?list=true` })).status).toBe(200);
    expect((await as({ path: `${base}/?list=true` })).status).toBe(200);
    expect((await as({ method: 'DELETE', path: `${base}/team/db` })).status).toBe(204);
    expect(access.calls).toEqual([
      'dcos:secrets:default:/team/db create',
      'dcos:secrets:default:/team/db read',
      'dcos:secrets:default:/team/db update',
      'dcos:secrets:list:default:/team read',
      'dcos:secrets:list:default:/ read',
      'dcos:secrets:default:/team/db delete',
    ]);
    // The author is the caller's uid.
    await as({ method: 'PUT', path: `${base}/team/by-alice`, headers: json, body: '{"value":"v"}' });
    expect((await as({ path: `${base}/team/by-alice` })).json).toMatchObject({ author: 'alice' });
  });

  it('403 names the missing permission and changes nothing; 401 carries WWW-Authenticate: acsjwt', async () => {
    access.deny.add('dcos:secrets:default:/locked create');
    const denied = await as({
      method: 'PUT',
      path: `${base}/locked`,
      headers: json,
      body: JSON.stringify({ value: canaryValue }),
    });
    expectError(denied, 403, 'ERR_FORBIDDEN', 'dcos:secrets:default:/locked');
    expect(denied.body.toString('utf8')).not.toContain(canaryValue);
    access.deny.clear();
    expect((await as({ path: `${base}/locked` })).status).toBe(404);

    const anonymous = await rawRequest(guarded.url, { path: `${base}/locked` });
    expectError(anonymous, 401, 'ERR_AUTH_REQUIRED');
    expect(anonymous.headers['www-authenticate']).toBe('acsjwt');
    expectError(
      await rawRequest(guarded.url, { path: `${base}/locked`, headers: { authorization: 'token=mallory' } }),
      401,
      'ERR_AUTH_TOKEN_INVALID',
    );
  });
});
