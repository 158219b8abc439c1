// `secrets-agent iam ...`: users, service accounts, groups and permissions on a store server, through
// the IAM API (docs/wire-formats.md#iam-administration) as a superuser; the DC/OS CLI's `security org` commands in one group.
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { chooseLoginEndpoint } from '../../auth/login-endpoint.js';
import { parsePrivateKey } from '../../auth/credential.js';
import type { IamAccount, IamAccountPermissions, IamAction, IamClient } from '../../client/iam-client.js';
import { SecretsAgentError, isSecretsAgentError } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { buildServiceAccountCredential, generateServiceAccountKeyPair } from '../../store/iam/bootstrap.js';
import { connectionArgsFrom, openConnection, remoteOptions, type RemoteConnection } from '../connection.js';
import { probeCredentialOut, removeCredentialFile, writeCredentialFile } from '../credential-file.js';
import type { CliIo, CommandResult } from '../io.js';
import { writeLine } from '../io.js';
import { passwordFileFlag, readPasswordInput } from '../password-input.js';
import type { RegisterCommands } from './index.js';
import { fileReadError } from '../../core/file-read-error.js';

const maxKeyFileBytes = 64 * 1024;
const actions: readonly IamAction[] = ['create', 'read', 'update', 'delete', 'full'];
const jsonOption = { json: { type: 'boolean', default: false, describe: 'Print JSON' } } as const;
const loginEndpointOption = {
  'login-endpoint': {
    type: 'string',
    describe: 'login_endpoint written into the credential (default: <store URL>/acs/api/v1/auth/login)',
  },
} as const;

type Argv_ = Readonly<Record<string, unknown>>;

// Registers the `iam` command group.
export const registerIamCommands: RegisterCommands = (parser: Argv, io: CliIo, _result: CommandResult): Argv =>
  parser.command(
    'iam',
    'Administer users, service accounts and permissions on a store server (as a superuser)',
    (iam: Argv) =>
      iam
        .options(remoteOptions)
        .command('user', 'Users (uid + password)', (user: Argv) =>
          user
            .command(
              'create <uid>',
              'Create a user; the password comes from --password-file, stdin (`-`) or a terminal prompt',
              (command: Argv) =>
                command
                  .positional('uid', { type: 'string', demandOption: true })
                  .options({
                    'password-file': {
                      type: 'string',
                      describe:
                        "The new user's password: a file, or `-` for stdin (log in yourself with a session, --token-file, --credential-file, or --username with DCOS_SECRETS_PASSWORD)",
                    },
                    description: { type: 'string', describe: 'Description of the account' },
                  })
                  .strict(false)
                  .strictOptions(),
              async (argv) => {
                const uid = argv.uid as string;
                const password = await readPasswordInput(
                  { file: passwordFileFlag(argv, 3), who: `user \`${uid}\`` },
                  io,
                );
                // --password-file is the new user's here, not the caller's login password.
                await withIam({ ...argv, 'password-file': undefined }, io, (connection) =>
                  connection.iam.createUser({
                    uid,
                    password,
                    ...(argv.description === undefined ? {} : { description: argv.description }),
                  }),
                );
                writeLine(io.stdout, `Created user \`${uid}\`.`);
              },
            )
            .command(...listAccountsCommand('user', 'users', io))
            .command(...deleteAccountCommand('user', io))
            .command(
              'update <uid>',
              "Change a user's --description and/or its password (from --password-file FILE, or `-` for stdin)",
              (command: Argv) =>
                command
                  .positional('uid', { type: 'string', demandOption: true })
                  .options({
                    'password-file': {
                      type: 'string',
                      describe:
                        "The user's new password: a file, or `-` for stdin (never an argument, where `ps` would show it)",
                    },
                    description: { type: 'string', describe: 'New description of the account' },
                  })
                  .strict(false)
                  .strictOptions(),
              async (argv) => {
                await updateUser(argv, io);
              },
            )
            .command(
              'permissions <uid>',
              "List an account's grants: its own and those it has through groups",
              (command: Argv) => command.positional('uid', { type: 'string', demandOption: true }).options(jsonOption),
              async (argv) => {
                const uid = argv.uid as string;
                printPermissions(
                  io,
                  await withIam(argv, io, (connection) => connection.iam.accountPermissions(uid)),
                  argv.json,
                );
              },
            )
            .demandCommand(1, 'Name a user command: create, list, update, permissions or delete.'),
        )
        .command('service-account', 'Service accounts (uid + RSA public key)', (account: Argv) =>
          account
            .command(
              'create <uid>',
              'Create a service account from --public-key FILE, or with a fresh keypair whose credential JSON goes to --credential-out FILE (0600)',
              (command: Argv) =>
                command.positional('uid', { type: 'string', demandOption: true }).options({
                  'public-key': {
                    type: 'string',
                    describe: "PEM file of the account's RSA public key (at least 2048 bits)",
                  },
                  'credential-out': {
                    type: 'string',
                    describe: 'Generate a keypair and write the DC/OS credential JSON here (mode 0600; must not exist)',
                  },
                  description: { type: 'string', describe: 'Description of the account' },
                  ...loginEndpointOption,
                }),
              async (argv) => {
                await createServiceAccount(argv, io);
              },
            )
            .command(...listAccountsCommand('service', 'service accounts', io))
            .command(...deleteAccountCommand('service account', io))
            .demandCommand(1, 'Name a service-account command: create, list or delete.'),
        )
        .command('group', 'Groups: their members get their grants', (group: Argv) => registerGroupCommands(group, io))
        .command(
          'grant <uid> <rid> <action>',
          'Grant ACTION (create, read, update, delete, full) on RID to UID; creates the ACL when missing',
          (command: Argv) => grantPositionals(command),
          async (argv) => {
            const grant = grantFrom(argv);
            await withIam(argv, io, async (connection) => {
              try {
                await connection.iam.grant(grant);
              } catch (error) {
                if (!isSecretsAgentError(error, 'ERR_IAM_ACL_NOT_FOUND')) throw error;
                // As the DC/OS CLI does: a missing ACL is created, then the grant is made again.
                await connection.iam.createAcl(grant.rid).catch((createError: unknown) => {
                  if (!isSecretsAgentError(createError, 'ERR_IAM_ACL_EXISTS')) throw createError;
                });
                await connection.iam.grant(grant);
              }
            });
            writeLine(io.stdout, `Granted \`${grant.action}\` on \`${grant.rid}\` to \`${grant.uid}\`.`);
          },
        )
        .command(
          'revoke <uid> <rid> <action>',
          'Revoke ACTION on RID from UID',
          (command: Argv) => grantPositionals(command),
          async (argv) => {
            const grant = grantFrom(argv);
            await withIam(argv, io, (connection) => connection.iam.revoke(grant));
            writeLine(io.stdout, `Revoked \`${grant.action}\` on \`${grant.rid}\` from \`${grant.uid}\`.`);
          },
        )
        .command(
          'create-sa-secret <key> <uid> <path>',
          'Store the credential JSON of service account UID (private key from the PEM file KEY) as the text secret PATH',
          (command: Argv) =>
            command
              .positional('key', {
                type: 'string',
                demandOption: true,
                describe: "PEM file of the service account's RSA private key",
              })
              .positional('uid', { type: 'string', demandOption: true })
              .positional('path', {
                type: 'string',
                demandOption: true,
                describe: 'Secret path, e.g. myapp/credential',
              })
              .options(loginEndpointOption),
          async (argv) => {
            await createServiceAccountSecret(argv, io);
          },
        )
        .demandCommand(1, 'Name an iam command; see `secrets-agent iam --help`.'),
  );

// `dcos security org groups ...` as `iam group ...` (add_user/del_user become add-member/remove-member).
function registerGroupCommands(group: Argv, io: CliIo): Argv {
  const gid = (command: Argv): Argv => command.positional('gid', { type: 'string', demandOption: true });
  const member = (command: Argv): Argv => gid(command).positional('uid', { type: 'string', demandOption: true });
  return group
    .command(
      'create <gid>',
      'Create a group',
      (command: Argv) =>
        gid(command).options({ description: { type: 'string', describe: 'Description of the group' } }),
      async (argv) => {
        const name = argv.gid as string;
        const description = text(argv, 'description');
        await withIam(argv, io, (connection) => connection.iam.createGroup(name, description));
        writeLine(io.stdout, `Created group \`${name}\`.`);
      },
    )
    .command(
      'list',
      'List groups',
      (command: Argv) => command.options(jsonOption),
      async (argv) => {
        const groups = await withIam(argv, io, (connection) => connection.iam.listGroups());
        const sorted = [...groups].sort((a, b) => compare(a.gid, b.gid));
        if (argv.json === true) {
          writeLine(
            io.stdout,
            JSON.stringify(sorted.map((entry) => ({ gid: entry.gid, description: entry.description }))),
          );
          return;
        }
        printTable(
          io,
          ['GID', 'DESCRIPTION'],
          sorted.map((entry) => [entry.gid, entry.description]),
        );
      },
    )
    .command(
      'show <gid>',
      'Print a group: description, members and grants',
      (command: Argv) => gid(command).options(jsonOption),
      async (argv) => {
        const name = argv.gid as string;
        const shown = await withIam(argv, io, (connection) => describeGroup(connection.iam, name));
        if (argv.json === true) {
          writeLine(io.stdout, JSON.stringify(shown));
          return;
        }
        writeLine(io.stdout, `GID          ${shown.gid}`);
        writeLine(io.stdout, `DESCRIPTION  ${shown.description}`);
        writeLine(io.stdout, `MEMBERS      ${shown.members.map((account) => account.uid).join(', ')}`);
        writeLine(io.stdout, 'PERMISSIONS');
        for (const grant of shown.permissions) writeLine(io.stdout, `  ${grant.rid}  ${grant.actions.join(',')}`);
      },
    )
    .command(
      'delete <gid>',
      'Delete a group, its memberships and its grants',
      (command: Argv) => gid(command),
      async (argv) => {
        await withIam(argv, io, (connection) => connection.iam.deleteGroup(argv.gid as string));
        writeLine(io.stdout, `Deleted group \`${argv.gid as string}\`.`);
      },
    )
    .command(
      'add-member <gid> <uid>',
      'Add the user or service account UID to group GID',
      (command: Argv) => member(command),
      async (argv) => {
        await withIam(argv, io, (connection) => connection.iam.addMember(argv.gid as string, argv.uid as string));
        writeLine(io.stdout, `Added \`${argv.uid as string}\` to group \`${argv.gid as string}\`.`);
      },
    )
    .command(
      'remove-member <gid> <uid>',
      'Remove UID from group GID',
      (command: Argv) => member(command),
      async (argv) => {
        await withIam(argv, io, (connection) => connection.iam.removeMember(argv.gid as string, argv.uid as string));
        writeLine(io.stdout, `Removed \`${argv.uid as string}\` from group \`${argv.gid as string}\`.`);
      },
    )
    .command(
      'grant <gid> <rid> <action>',
      'Grant ACTION (create, read, update, delete, full) on RID to group GID; creates the ACL when missing',
      (command: Argv) =>
        ridActionPositionals(gid(command)).options({
          description: { type: 'string', describe: 'Description of the ACL when it has to be created' },
        }),
      async (argv) => {
        const grant = { gid: argv.gid as string, rid: argv.rid as string, action: argv.action as IamAction };
        const description = text(argv, 'description');
        await withIam(argv, io, async (connection) => {
          try {
            await connection.iam.grantGroup(grant);
          } catch (error) {
            if (!isSecretsAgentError(error, 'ERR_IAM_ACL_NOT_FOUND')) throw error;
            // As `dcos security org groups grant` does: create the missing ACL (an existing one keeps
            // its description), then grant again.
            await connection.iam.createAcl(grant.rid, description).catch((createError: unknown) => {
              if (!isSecretsAgentError(createError, 'ERR_IAM_ACL_EXISTS')) throw createError;
            });
            await connection.iam.grantGroup(grant);
          }
        });
        writeLine(io.stdout, `Granted \`${grant.action}\` on \`${grant.rid}\` to group \`${grant.gid}\`.`);
      },
    )
    .command(
      'revoke <gid> <rid> <action>',
      'Revoke ACTION on RID from group GID',
      (command: Argv) => ridActionPositionals(gid(command)),
      async (argv) => {
        const grant = { gid: argv.gid as string, rid: argv.rid as string, action: argv.action as IamAction };
        await withIam(argv, io, (connection) => connection.iam.revokeGroup(grant));
        writeLine(io.stdout, `Revoked \`${grant.action}\` on \`${grant.rid}\` from group \`${grant.gid}\`.`);
      },
    )
    .demandCommand(1, 'Name a group command: create, list, show, delete, add-member, remove-member, grant or revoke.');
}

async function describeGroup(
  iam: IamClient,
  gid: string,
): Promise<{
  gid: string;
  description: string;
  members: Array<{ uid: string; description: string; is_service: boolean }>;
  permissions: Array<{ rid: string; actions: string[] }>;
}> {
  const group = await iam.getGroup(gid);
  const [members, permissions] = await Promise.all([iam.listMembers(gid), iam.groupPermissions(gid)]);
  return {
    gid: group.gid,
    description: group.description,
    members: [...members]
      .sort((a, b) => compare(a.uid, b.uid))
      .map((account) => ({ uid: account.uid, description: account.description, is_service: account.isService })),
    permissions: permissions.map((entry) => ({ rid: entry.rid, actions: [...entry.actions].sort() })),
  };
}

// `iam user update`: the password only from a file or stdin, the description from its flag.
async function updateUser(argv: Argv_, io: CliIo): Promise<void> {
  const uid = argv['uid'] as string;
  const passwordFile = passwordFileFlag(argv, 3);
  const description = typeof argv['description'] === 'string' ? argv['description'] : undefined;
  if (passwordFile === undefined && description === undefined)
    throw new SecretsAgentError(
      'ERR_USAGE',
      'give --description TEXT, --password-file FILE (or `-` for stdin), or both',
    );
  const password =
    passwordFile === undefined
      ? undefined
      : await readPasswordInput({ file: passwordFile, who: `user \`${uid}\`` }, io);
  // --password-file is the user's new password here, not the caller's login password.
  await withIam({ ...argv, 'password-file': undefined }, io, (connection) =>
    connection.iam.updateAccount(uid, {
      ...(description === undefined ? {} : { description }),
      ...(password === undefined ? {} : { password }),
    }),
  );
  const changed = [
    ...(description === undefined ? [] : ['description']),
    ...(password === undefined ? [] : ['password']),
  ];
  writeLine(io.stdout, `Updated the ${changed.join(' and ')} of user \`${uid}\`.`);
}

function printPermissions(io: CliIo, permissions: IamAccountPermissions, json: unknown): void {
  if (json === true) {
    writeLine(io.stdout, JSON.stringify({ direct: permissions.direct, groups: permissions.groups }));
    return;
  }
  printTable(
    io,
    ['RID', 'ACTIONS', 'VIA'],
    [
      ...permissions.direct.map((entry) => [entry.rid, entry.actions.join(','), '(direct)']),
      ...permissions.groups.map((entry) => [entry.rid, entry.actions.join(','), `group ${entry.gid}`]),
    ],
  );
}

// Left-aligned columns two spaces apart, the last one unpadded; nothing for no rows.
function printTable(io: CliIo, header: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  if (rows.length === 0) return;
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  for (const row of [header, ...rows]) {
    const cells = row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)));
    writeLine(io.stdout, cells.join('  '));
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function createServiceAccount(argv: Argv_, io: CliIo): Promise<void> {
  const uid = argv['uid'] as string;
  const publicKeyFile = text(argv, 'public-key');
  const credentialOut = text(argv, 'credential-out');
  const description = text(argv, 'description');
  if ((publicKeyFile === undefined) === (credentialOut === undefined)) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      'give --public-key FILE (your own keypair) or --credential-out FILE (a fresh keypair), exactly one',
    );
  }
  const common = { uid, ...(description === undefined ? {} : { description }) };
  if (publicKeyFile !== undefined) {
    const publicKeyPem = await readPemFile(resolve(io.cwd, publicKeyFile), '--public-key');
    await withIam(argv, io, (connection) => connection.iam.createServiceAccount({ ...common, publicKeyPem }));
    writeLine(io.stdout, `Created service account \`${uid}\`.`);
    return;
  }
  const file = resolve(io.cwd, credentialOut as string);
  await probeCredentialOut(file);
  await withIam(argv, io, async (connection) => {
    const keys = await generateServiceAccountKeyPair();
    const loginEndpoint = text(argv, 'login-endpoint') ?? chooseLoginEndpoint({ url: connection.url });
    // The file first: an account whose only private key could not be saved would be useless.
    await writeCredentialFile(
      file,
      buildServiceAccountCredential({ uid, privateKeyPem: keys.privateKeyPem, loginEndpoint }),
    );
    try {
      await connection.iam.createServiceAccount({ ...common, publicKeyPem: keys.publicKeyPem });
    } catch (error) {
      await removeCredentialFile(file);
      throw error;
    }
  });
  writeLine(io.stdout, `Created service account \`${uid}\`; its credential is in ${file} (mode 0600).`);
}

// `dcos security secrets create-sa-secret` (docs/wire-formats.md#service-account-credential): the credential JSON as
// a text secret. The key must belong to UID: a credential with someone else's key would only fail at login time.
async function createServiceAccountSecret(argv: Argv_, io: CliIo): Promise<void> {
  const keyFile = resolve(io.cwd, argv['key'] as string);
  const uid = argv['uid'] as string;
  const path = argv['path'] as string;
  const privateKeyPem = await readPemFile(keyFile, 'KEY');
  const privateKey = parsePrivateKey(privateKeyPem, keyFile);
  await withIam(argv, io, async (connection) => {
    const account = await connection.iam.getAccount(uid);
    if (!account.isService || account.publicKeyPem === undefined)
      throw new SecretsAgentError('ERR_INPUT_INVALID', `\`${uid}\` is not a service account`, { details: { uid } });
    const registered = createPublicKey(account.publicKeyPem).export({ type: 'spki', format: 'der' });
    const ours = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    if (!registered.equals(ours))
      throw new SecretsAgentError(
        'ERR_INPUT_INVALID',
        `${keyFile} is not the private key of service account \`${uid}\` (its public key differs)`,
        { details: { uid } },
      );
    const loginEndpoint = text(argv, 'login-endpoint') ?? chooseLoginEndpoint({ url: connection.url });
    // PKCS#8 like the keys we generate; the DC/OS CLI also stores the PEM as given.
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const credential = buildServiceAccountCredential({ uid, privateKeyPem: pem, loginEndpoint });
    const value = JSON.stringify({
      login_endpoint: credential.login_endpoint,
      private_key: credential.private_key,
      scheme: credential.scheme,
      uid: credential.uid,
    });
    await connection.api.createSecret(path, { type: 'text', bytes: new Uint8Array(Buffer.from(value, 'utf8')) });
  });
  writeLine(io.stdout, `Stored the credential of service account \`${uid}\` as secret \`${path}\`.`);
}

function grantPositionals(command: Argv): Argv {
  return ridActionPositionals(command.positional('uid', { type: 'string', demandOption: true }));
}

function ridActionPositionals(command: Argv): Argv {
  return command
    .positional('rid', {
      type: 'string',
      demandOption: true,
      describe: 'e.g. dcos:secrets:default:/app/* or dcos:secrets:list:default:/app',
    })
    .positional('action', { type: 'string', demandOption: true, choices: actions });
}

function grantFrom(argv: Argv_): { uid: string; rid: string; action: IamAction } {
  return { uid: argv['uid'] as string, rid: argv['rid'] as string, action: argv['action'] as IamAction };
}

// `list`, the same for users and service accounts: yargs' command() arguments.
function listAccountsCommand(type: 'user' | 'service', plural: string, io: CliIo) {
  return [
    'list',
    `List ${plural}`,
    (command: Argv) => command.options(jsonOption),
    async (argv: Argv_) => {
      printAccounts(io, await withIam(argv, io, (connection) => connection.iam.listAccounts(type)), argv['json']);
    },
  ] as const;
}

// `delete <uid>`, the same for users and service accounts (`noun` names the kind in messages).
function deleteAccountCommand(noun: string, io: CliIo) {
  return [
    'delete <uid>',
    `Delete a ${noun} and its grants`,
    (command: Argv) => command.positional('uid', { type: 'string', demandOption: true }),
    async (argv: Argv_) => {
      const uid = argv['uid'] as string;
      await withIam(argv, io, (connection) => connection.iam.deleteAccount(uid));
      writeLine(io.stdout, `Deleted ${noun} \`${uid}\`.`);
    },
  ] as const;
}

function printAccounts(io: CliIo, accounts: readonly IamAccount[], json: unknown): void {
  const sorted = [...accounts].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  if (json === true) {
    writeLine(
      io.stdout,
      JSON.stringify(
        sorted.map((account) => ({
          uid: account.uid,
          description: account.description,
          is_service: account.isService,
        })),
      ),
    );
    return;
  }
  if (sorted.length === 0) return;
  const width = Math.max(3, ...sorted.map((account) => account.uid.length));
  writeLine(io.stdout, `${'UID'.padEnd(width)}  DESCRIPTION`);
  for (const account of sorted) writeLine(io.stdout, `${account.uid.padEnd(width)}  ${account.description}`);
}

async function withIam<T>(argv: Argv_, io: CliIo, action: (connection: RemoteConnection) => Promise<T>): Promise<T> {
  const log = createLogger({ destination: io.stderr, level: 'warn' });
  const connection = await openConnection({ ...connectionArgsFrom(argv), dataDir: undefined }, io, {
    log,
    remoteOnly: true,
  });
  try {
    if (connection.kind !== 'remote')
      throw new SecretsAgentError('ERR_USAGE', 'iam commands need a store server: pass --url');
    return await action(connection);
  } finally {
    await connection.close();
  }
}

async function readPemFile(file: string, what: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw fileReadError('ERR_INPUT_INVALID', `${what} ${file}`, error, { file });
  }
  if (bytes.length > maxKeyFileBytes)
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `${what} ${file}: larger than ${maxKeyFileBytes} bytes; expected one PEM key`,
      { details: { file } },
    );
  return bytes.toString('utf8');
}

function text(argv: Argv_, key: string): string | undefined {
  const value = argv[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
