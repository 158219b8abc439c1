// Issue 12.11: the Terraform provider sends secret paths with a leading slash
// (`PUT .../default/%2Fmyapp%2Fpassword`, `DELETE .../default//myapp/password`). One leading slash
// names the same secret `myapp/password`; permissions are checked on that normalized path; two
// leading slashes, dot segments, empty inner segments and escapes are still refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingAccess, startTestStore, type RawResponse, type TestStore } from '../support/store-server.js';

const base = '/secrets/v1/secret/default';
const json = { 'content-type': 'application/json', authorization: 'token=alice' };
const access = createRecordingAccess();
let store: TestStore;

beforeAll(async () => {
  store = await startTestStore({ access });
});

afterAll(async () => {
  await store.close();
});

const send = (method: string, path: string, body?: string): Promise<RawResponse> =>
  store.request({ method, path, headers: json, ...(body === undefined ? {} : { body }) });

function expectRefused(response: RawResponse, description: string): void {
  expect(response.status, response.body.toString('utf8')).toBe(400);
  expect(response.json).toMatchObject({ code: 'ERR_SECRET_PATH_INVALID' });
  expect((response.json as { description: string }).description).toContain(description);
}

describe('issue 12.11: one leading slash (Terraform provider)', () => {
  it('replays the provider: create with %2F and a leading slash, read, update, delete with //', async () => {
    access.calls.length = 0;
    expect((await send('PUT', `${base}/%2Fmyapp%2Fpassword`, '{"value":"tf-1"}')).status).toBe(201);
    const read = await send('GET', `${base}/%2Fmyapp%2Fpassword`);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ value: 'tf-1' });
    // The same secret under its plain name: the leading slash was not part of it.
    expect((await send('GET', `${base}/myapp/password`)).json).toMatchObject({ value: 'tf-1' });
    expect((await send('GET', `${base}/myapp?list=true`)).json).toEqual({ array: ['password'] });
    expect((await send('PUT', `${base}/myapp/password`, '{"value":"again"}')).status).toBe(409);
    expect((await send('PATCH', `${base}//myapp/password`, '{"value":"tf-2"}')).status).toBe(204);
    expect((await send('GET', `${base}//myapp/password`)).json).toMatchObject({ value: 'tf-2' });
    expect((await send('DELETE', `${base}//myapp/password`)).status).toBe(204);
    expect((await send('GET', `${base}/myapp/password`)).status).toBe(404);
    // Permissions were asked for the normalized path, never `//myapp/password`.
    expect(access.calls).toEqual([
      'dcos:secrets:default:/myapp/password create',
      'dcos:secrets:default:/myapp/password read',
      'dcos:secrets:default:/myapp/password read',
      'dcos:secrets:list:default:/myapp read',
      'dcos:secrets:default:/myapp/password create',
      'dcos:secrets:default:/myapp/password update',
      'dcos:secrets:default:/myapp/password read',
      'dcos:secrets:default:/myapp/password delete',
      'dcos:secrets:default:/myapp/password read',
    ]);
  });

  it('a denied permission on the normalized path is not dodged by the slash', async () => {
    access.deny.add('dcos:secrets:default:/locked/key create');
    try {
      const refused = await send('PUT', `${base}/%2Flocked%2Fkey`, '{"value":"x"}');
      expect(refused.status).toBe(403);
      expect((await send('PUT', `${base}//locked/key`, '{"value":"x"}')).status).toBe(403);
    } finally {
      access.deny.clear();
    }
  });

  it('still refuses two leading slashes, dot segments, empty inner segments and escapes', async () => {
    expectRefused(await send('PUT', `${base}/%2F%2Fmyapp%2Fpassword`, '{"value":"x"}'), 'starts with `//`');
    expectRefused(await send('PUT', `${base}///myapp/password`, '{"value":"x"}'), 'starts with `//`');
    expectRefused(await send('PUT', `${base}//%2Fmyapp`, '{"value":"x"}'), 'starts with `//`');
    expectRefused(await send('DELETE', `${base}/%2F..%2Fseal`), '`..`');
    expectRefused(await send('DELETE', `${base}//../x`), '`..`');
    expectRefused(await send('PUT', `${base}/%2Fmyapp%2F%2Fpassword`, '{"value":"x"}'), 'is empty');
    expectRefused(await send('PUT', `${base}//myapp//password`, '{"value":"x"}'), 'is empty');
    expectRefused(await send('PUT', `${base}/%2F`, '{"value":"x"}'), 'the path is empty');
    expectRefused(await send('GET', `${base}/%2F%2E%2E%2Fx`), '`..`');
    expectRefused(await send('GET', `${base}/%2Fa%5Cb`), 'outside [A-Za-z0-9._-]');
    expect((await send('GET', `${base}/myapp?list=true`)).json).toEqual({ array: [] });
  });
});
