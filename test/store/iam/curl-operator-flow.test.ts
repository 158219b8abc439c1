// The operator flow typed the way the DC/OS docs type it: real `curl`, `xxd`, `gpg` and `sh` against the real server
// (docs/wire-formats.md#init-seal-and-unseal, issue 3 "the seed flow works as a user would type it"). Log in,
// initialize with the operator's own gpg key, decrypt the unseal key with stock gpg, unseal, create a secret with the
// docs' curl line, seal, see 503, unseal again, read the secret back.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpgHome, type GpgHome } from '../support/gpg-home.js';
import { startIamServer, type IamTestServer } from './support/iam-server.js';

const run = promisify(execFile);
const password = 'operator-password-1';

let store: IamTestServer;
let gpg: GpgHome;
let email: string;

beforeAll(async () => {
  // Not initialized: the script initializes it with the operator's key, as §1.9 step 4 does.
  store = await startIamServer({}, { initialize: false });
  await store.iam.createUser({ uid: 'root', password });
  await store.iam.grant({ uid: 'root', rid: 'dcos:superuser', action: 'full' }, { createAcl: true });
  gpg = await createGpgHome();
  email = await gpg.generateRsaKey('operator', 2048);
}, 120_000);

afterAll(async () => {
  await store?.close();
  await gpg?.close();
});

// Each `say NAME` line prints NAME, the HTTP status and the body, tab-separated.
const script = String.raw`
set -eu
say() { name=$1; shift; out=$(curl -sS -w '\n%{http_code}' "$@"); printf '%s\t%s\t%s\n' "$name" "$(printf '%s' "$out" | tail -n 1)" "$(printf '%s' "$out" | sed '$d' | tr -d '\n')"; }

TOKEN=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"uid\":\"root\",\"password\":\"$PASSWORD\"}" "$URL/acs/api/v1/auth/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ]

PGP_KEY=$(gpg --batch --export "$EMAIL" | base64 -w0)
say init -X PUT -H "Authorization: token=$TOKEN" -H 'Content-Type: application/json' -d "{\"shares\":1,\"threshold\":1,\"pgp_keys\":[\"$PGP_KEY\"]}" "$URL/secrets/v1/init/default"
say status-after-init -H "Authorization: token=$TOKEN" "$URL/secrets/v1/seal-status/default"

KEY=$(curl -fsS -H "Authorization: token=$TOKEN" "$URL/secrets/v1/init/default" | sed -n 's/.*"keys":\["\([0-9a-f]*\)".*/\1/p' | xxd -r -p | gpg --batch --quiet -d)
say unseal -X PUT -H "Authorization: token=$TOKEN" -H 'Content-Type: application/json' -d "{\"key\":\"$KEY\"}" "$URL/secrets/v1/unseal/default"

say create -X PUT -H "Authorization: token=$TOKEN" -d '{"value":"very-secret"}' "$URL/secrets/v1/secret/default/developer/my-secret" -H 'Content-Type: application/json'
say read -H "Authorization: token=$TOKEN" "$URL/secrets/v1/secret/default/developer/my-secret"
say list -H "Authorization: token=$TOKEN" "$URL/secrets/v1/secret/default/developer?list=true"

say seal -X PUT -H "Authorization: token=$TOKEN" "$URL/secrets/v1/seal/default"
say status-sealed -H "Authorization: token=$TOKEN" "$URL/secrets/v1/seal-status/default"
say read-sealed -H "Authorization: token=$TOKEN" "$URL/secrets/v1/secret/default/developer/my-secret"

say unseal-again -X PUT -H "Authorization: token=$TOKEN" -H 'Content-Type: application/json' -d "{\"key\":\"$KEY\"}" "$URL/secrets/v1/unseal/default"
say read-again -H "Authorization: Bearer $TOKEN" "$URL/secrets/v1/secret/default/developer/my-secret"
`;

describe('the operator flow with curl, xxd and gpg', () => {
  it('initializes with the operator key, unseals with the gpg-decrypted key, creates, seals and unseals', async () => {
    const { stdout } = await run('sh', ['-c', script], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        GNUPGHOME: gpg.dir,
        URL: store.url,
        PASSWORD: password,
        EMAIL: email,
      },
      timeout: 60_000,
    });
    const steps = new Map(
      stdout
        .trim()
        .split('\n')
        .map((line) => {
          const [name, status, body] = line.split('\t');
          return [
            name as string,
            {
              status: Number(status),
              body: body === undefined || body === '' ? undefined : (JSON.parse(body) as unknown),
            },
          ];
        }),
    );

    const init = steps.get('init');
    expect(init?.status).toBe(200);
    expect(init?.body).toMatchObject({
      keys: [expect.stringMatching(/^[0-9a-f]+$/)],
      pgp_fingerprints: [expect.stringMatching(/^[0-9a-f]{40}$/)],
    });
    // The operator's key: the server cannot unseal itself, so the store starts sealed.
    expect(steps.get('status-after-init')).toEqual({
      status: 200,
      body: { sealed: true, threshold: 1, shares: 1, progress: 0 },
    });
    expect(steps.get('unseal')).toEqual({ status: 200, body: { sealed: false, threshold: 1, shares: 1, progress: 0 } });
    expect(steps.get('create')?.status).toBe(201);
    expect(steps.get('read')).toMatchObject({ status: 200, body: { value: 'very-secret', author: 'root' } });
    expect(steps.get('list')).toEqual({ status: 200, body: { array: ['my-secret'] } });
    expect(steps.get('seal')?.status).toBe(200);
    expect(steps.get('status-sealed')).toEqual({
      status: 200,
      body: { sealed: true, threshold: 1, shares: 1, progress: 0 },
    });
    expect(steps.get('read-sealed')?.status).toBe(503);
    expect(steps.get('read-sealed')?.body).toMatchObject({ code: 'ERR_STORE_SEALED' });
    expect(steps.get('unseal-again')).toEqual({
      status: 200,
      body: { sealed: false, threshold: 1, shares: 1, progress: 0 },
    });
    expect(steps.get('read-again')).toMatchObject({ status: 200, body: { value: 'very-secret' } });
  }, 90_000);
});
