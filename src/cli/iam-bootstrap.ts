// The IAM part of `store init` and `store serve`: `--superuser UID --password-file FILE` makes the
// first superuser; `--service-account UID --credential-out FILE [--grant RID:ACTION ...]` makes a
// service account with a fresh keypair and writes its DC/OS credential JSON (mode 0600).
// Everything is read and checked (planIamBootstrap) before the store or the IAM is touched.
import { resolve } from 'node:path';
import { SecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { AccessAction } from '../store/http/access.js';
import { bootstrapIam, buildServiceAccountCredential, generateServiceAccountKeyPair } from '../store/iam/bootstrap.js';
import type { Iam } from '../store/iam/iam.js';
import { assertUid, parseAction } from '../store/iam/iam-records.js';
import { assertRid } from '../store/iam/rid.js';
import { probeCredentialOut, removeCredentialFile, writeCredentialFile } from './credential-file.js';
import type { CliIo } from './io.js';
import { readPasswordInput } from './password-input.js';

export interface IamBootstrapFlags {
  readonly superuser?: string | undefined;
  readonly passwordFile?: string | undefined;
  readonly serviceAccount?: string | undefined;
  readonly credentialOut?: string | undefined;
  readonly grants?: readonly string[] | undefined;
}

export interface IamBootstrapPlan {
  readonly superuser?: { readonly uid: string; readonly password: string };
  readonly serviceAccount?: {
    readonly uid: string;
    /** Absolute path. */
    readonly credentialOut: string;
    readonly grants: ReadonlyArray<{ readonly rid: string; readonly action: AccessAction }>;
  };
}

// Checks the flags, reads the password and probes the credential path; ERR_USAGE on a bad combination.
export async function planIamBootstrap(flags: IamBootstrapFlags, io: CliIo): Promise<IamBootstrapPlan> {
  const grants = flags.grants ?? [];
  if (flags.passwordFile !== undefined && flags.superuser === undefined)
    throw usage('--password-file goes with --superuser UID');
  if ((flags.serviceAccount === undefined) !== (flags.credentialOut === undefined)) {
    throw usage(
      '--service-account UID and --credential-out FILE go together: the private key exists only in that file',
    );
  }
  if (grants.length > 0 && flags.serviceAccount === undefined)
    throw usage('--grant RID:ACTION needs --service-account UID');
  if (flags.superuser !== undefined) assertUidFlag(flags.superuser, '--superuser');
  if (flags.serviceAccount !== undefined) assertUidFlag(flags.serviceAccount, '--service-account');
  if (flags.superuser !== undefined && flags.superuser === flags.serviceAccount)
    throw usage('--superuser and --service-account must name different accounts');
  const parsedGrants = grants.map(parseGrantFlag);

  let superuser: IamBootstrapPlan['superuser'];
  if (flags.superuser !== undefined) {
    superuser = {
      uid: flags.superuser,
      password: await readPasswordInput({ file: flags.passwordFile, who: `superuser \`${flags.superuser}\`` }, io),
    };
  }
  let serviceAccount: IamBootstrapPlan['serviceAccount'];
  if (flags.serviceAccount !== undefined && flags.credentialOut !== undefined) {
    const credentialOut = resolve(io.cwd, flags.credentialOut);
    await probeCredentialOut(credentialOut);
    serviceAccount = { uid: flags.serviceAccount, credentialOut, grants: parsedGrants };
  }
  return {
    ...(superuser === undefined ? {} : { superuser }),
    ...(serviceAccount === undefined ? {} : { serviceAccount }),
  };
}

export interface ApplyIamBootstrapOptions {
  readonly log: Logger;
  /** Written into the credential (`<store URL>/acs/api/v1/auth/login`); needed with a service account. */
  readonly loginEndpoint?: string | undefined;
  /** `skip` (serve: a restart with the same flags): leave existing accounts alone. `fail` (init). */
  readonly whenExists: 'skip' | 'fail';
}

// Creates what the plan asks for on `iam`. A credential file exists afterwards only if its account does.
export async function applyIamBootstrap(
  iam: Iam,
  plan: IamBootstrapPlan,
  options: ApplyIamBootstrapOptions,
): Promise<void> {
  const { log } = options;
  if (plan.superuser !== undefined) {
    if (options.whenExists === 'skip' && iam.getAccount(plan.superuser.uid) !== undefined) {
      log.info({ uid: plan.superuser.uid }, 'superuser exists; --superuser left it unchanged');
    } else {
      await bootstrapIam({ iam, superuser: plan.superuser });
      log.info({ uid: plan.superuser.uid }, 'superuser created');
    }
  }
  const account = plan.serviceAccount;
  if (account === undefined) return;
  if (options.whenExists === 'skip' && iam.getAccount(account.uid) !== undefined) {
    log.info({ uid: account.uid }, 'service account exists; --service-account left it and --credential-out unchanged');
    return;
  }
  if (options.loginEndpoint === undefined)
    throw usage("a service account needs the store URL for its credential's login_endpoint");
  if (iam.getAccount(account.uid) !== undefined)
    throw new SecretsAgentError('ERR_IAM_ACCOUNT_EXISTS', `account \`${account.uid}\` already exists`, {
      details: { uid: account.uid },
    });
  const keys = await generateServiceAccountKeyPair();
  const credential = buildServiceAccountCredential({
    uid: account.uid,
    privateKeyPem: keys.privateKeyPem,
    loginEndpoint: options.loginEndpoint,
  });
  // The file first: an account whose only private key could not be saved would be useless.
  await writeCredentialFile(account.credentialOut, credential);
  try {
    await iam.createServiceAccount({
      uid: account.uid,
      publicKeyPem: keys.publicKeyPem,
      description: 'service account created by store bootstrap',
    });
  } catch (error) {
    await removeCredentialFile(account.credentialOut);
    throw error;
  }
  for (const grant of account.grants) await iam.grant({ uid: account.uid, ...grant }, { createAcl: true });
  log.info(
    {
      uid: account.uid,
      file: account.credentialOut,
      grants: account.grants.map((grant) => `${grant.rid} ${grant.action}`),
    },
    'service account created; credential written',
  );
}

// `RID:ACTION`, split at the last colon (rids contain colons): `dcos:secrets:default:/app/*:read`.
export function parseGrantFlag(value: string): { rid: string; action: AccessAction } {
  const colon = value.lastIndexOf(':');
  const rid = colon === -1 ? '' : value.slice(0, colon);
  const actionText = colon === -1 ? '' : value.slice(colon + 1);
  if (rid === '' || actionText === '')
    throw usage(
      `Expected \`--grant\` to be RID:ACTION (e.g. dcos:secrets:default:/app/*:read), got \`${value.slice(0, 200)}\``,
    );
  try {
    assertRid(rid);
    return { rid, action: parseAction(actionText) };
  } catch (error) {
    if (!isSecretsAgentError(error)) throw error;
    throw usage(`--grant ${value.slice(0, 200)}: ${error.message}`);
  }
}

function assertUidFlag(uid: string, flag: string): void {
  try {
    assertUid(uid);
  } catch (error) {
    if (!isSecretsAgentError(error)) throw error;
    throw usage(`${flag}: ${error.message}`);
  }
}

function usage(message: string): SecretsAgentError {
  return new SecretsAgentError('ERR_USAGE', message);
}
