import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsAgentError } from '../../src/core/errors.js';
import { createKeyring, type Keyring } from '../../src/store/keyring.js';
import {
  createSecretRepository,
  maxSecretValueBytes,
  type SecretRepository,
} from '../../src/store/secret-repository.js';
import type { StorageBackend } from '../../src/store/storage/backend.js';
import { openTempStorage } from './support/temp-storage.js';
import { expectRejection } from '../helpers/rejection.js';

let storage: StorageBackend;
let keyring: Keyring | undefined;
let repository: SecretRepository;
const text = (value: string): { type: 'text'; bytes: Uint8Array } => ({ type: 'text', bytes: Buffer.from(value) });

beforeAll(async () => {
  storage = (await openTempStorage()).storage;
  keyring = createKeyring();
  repository = createSecretRepository({
    storage,
    store: 'default',
    keyring: () => {
      if (keyring === undefined) throw new SecretsAgentError('ERR_STORE_SEALED', 'store is sealed');
      return keyring;
    },
    now: () => new Date('2024-05-06T07:08:09.000Z'),
  });
});

afterAll(async () => {
  await storage.close();
});

describe('secret repository', () => {
  it('lists exactly as reference §1.4 says (recursive, sorted, relative; a secret may be a folder too)', async () => {
    for (const path of ['key1', 'folder/key2', 'folder/key3', 'folder/sub/key4', 'folder/sub'])
      await repository.create(path, text(path));
    expect(await repository.list('')).toEqual(['folder/key2', 'folder/key3', 'folder/sub', 'folder/sub/key4', 'key1']);
    expect(await repository.list('folder')).toEqual(['key2', 'key3', 'sub', 'sub/key4']);
    expect(await repository.list('folder/sub')).toEqual(['key4']);
    expect(await repository.list('folder/sub/key4')).toEqual([]);
    expect(await repository.list('fold')).toEqual([]);
    expect(await repository.list('not/a/folder')).toEqual([]);
  });

  it('sorts by code units: `-` and `.` before `/`, upper case before lower case', async () => {
    for (const path of ['s/a-b', 's/a/b', 's/a.b', 's/B', 's/a']) await repository.create(path, text('x'));
    expect(await repository.list('s')).toEqual(['B', 'a', 'a-b', 'a.b', 'a/b']);
  });

  it('stores author and times, updates keep created and old metadata unless replaced', async () => {
    await repository.create('meta', { ...text('v'), description: 'd', labels: ['l'] }, 'alice');
    await repository.update('meta', text('w'), 'bob');
    expect(await repository.get('meta')).toMatchObject({
      path: 'meta',
      type: 'text',
      description: 'd',
      labels: ['l'],
      author: 'bob',
      created: '2024-05-06T07:08:09.000Z',
    });
    await repository.update('meta', { ...text('w'), description: 'new', labels: [] });
    expect(await repository.get('meta')).toMatchObject({ description: 'new', labels: [], author: 'bob' });
  });

  it('racing updates go through conditional writes and leave one consistent record', async () => {
    await repository.create('race', text('0'));
    await Promise.all(
      Array.from({ length: 4 }, (_, index) =>
        repository.update('race', { ...text(String(index)), labels: [String(index)] }),
      ),
    );
    const final = await repository.get('race');
    expect(final.labels?.[0]).toBe(Buffer.from(final.bytes).toString('utf8'));
  });

  it('checks size and metadata before writing', async () => {
    await repository.create('limit', { type: 'binary', bytes: new Uint8Array(maxSecretValueBytes) });
    const error = await expectRejection(
      repository.create('over', { type: 'binary', bytes: new Uint8Array(maxSecretValueBytes + 1) }),
      'ERR_SECRET_TOO_LARGE',
    );
    expect(error.message).toBe('Secret `over` value is 1047553 bytes; the limit is 1047552 bytes (1 MiB - 1 KiB)');
    await expectRejection(repository.create('d', { ...text('x'), description: 'x'.repeat(4097) }), 'ERR_INPUT_INVALID');
    await expectRejection(
      repository.create('l', { ...text('x'), labels: Array.from({ length: 65 }, () => 'l') }),
      'ERR_INPUT_INVALID',
    );
    expect(await storage.get('secrets/default/over')).toBeUndefined();
  });

  it('refuses everything while sealed and loses nothing', async () => {
    await repository.create('sealed/kept', text('kept'));
    const held = keyring;
    keyring = undefined;
    try {
      await expectRejection(repository.get('sealed/kept'), 'ERR_STORE_SEALED');
      await expectRejection(repository.list('sealed'), 'ERR_STORE_SEALED');
      await expectRejection(repository.create('sealed/new', text('x')), 'ERR_STORE_SEALED');
      await expectRejection(repository.update('sealed/kept', text('x')), 'ERR_STORE_SEALED');
      await expectRejection(repository.delete('sealed/kept'), 'ERR_STORE_SEALED');
    } finally {
      keyring = held;
    }
    expect(Buffer.from((await repository.get('sealed/kept')).bytes).toString('utf8')).toBe('kept');
    expect(await repository.list('sealed')).toEqual(['kept']);
  });

  it('read() checks and fails like get(), and hands the current record to `use` after every write', async () => {
    await expectRejection(
      repository.read('missing/one', () => 'never'),
      'ERR_SECRET_NOT_FOUND',
    );
    await expectRejection(
      repository.read('a/../b', () => 'never'),
      'ERR_SECRET_PATH_INVALID',
    );
    await repository.create('readable', { ...text('first'), description: 'd' }, 'alice');
    const valueOf = (path: string): Promise<string> =>
      repository.read(
        path,
        (opened) => `${Buffer.from(opened.secret.bytes).toString()} ${opened.secret.description ?? '-'}`,
      );
    expect(await valueOf('readable')).toBe('first d');
    await repository.update('readable', text('second'));
    expect(await valueOf('readable')).toBe('second d');
    const sealedWith = keyring;
    keyring = undefined;
    await expectRejection(valueOf('readable'), 'ERR_STORE_SEALED');
    keyring = sealedWith;
    await repository.delete('readable');
    await expectRejection(valueOf('readable'), 'ERR_SECRET_NOT_FOUND');
  });
});
