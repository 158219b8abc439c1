// OpenPGP operations on the unseal key, run in a short-lived child process. openpgp.js keeps
// copies of what it decrypts and encrypts in arrays it never clears; in the store process they
// would outlive a seal (issue 12.3). In a child they die with it: the parent sends the key and the
// message on stdin, reads the result from stdout into one Buffer and zeroes what it read.
import { createRequire } from 'node:module';
import { SecretsAgentError } from '../core/errors.js';
import { allocSecretBuffer } from './secret-buffer.js';
import { loadChildProcess } from '../core/lazy-builtins.js';

// The child: stdin is `op (1 byte) | length of part 1 (u32 BE) | part 1 | part 2`; stdout the result.
// op 1: decrypt binary message (part 2) with armored private key (part 1);
// op 2: encrypt data (part 2) to binary public key (part 1), as a binary message.
const childScript = `
const openpgp = require(process.argv[1]);
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', async () => {
  try {
    const input = Buffer.concat(chunks);
    const op = input[0];
    const length = input.readUInt32BE(1);
    const first = input.subarray(5, 5 + length);
    const second = new Uint8Array(input.subarray(5 + length));
    let output;
    if (op === 1) {
      const privateKey = await openpgp.readPrivateKey({ armoredKey: first.toString('utf8') });
      const message = await openpgp.readMessage({ binaryMessage: second });
      output = (await openpgp.decrypt({ message, decryptionKeys: privateKey, format: 'binary' })).data;
    } else {
      const publicKey = await openpgp.readKey({ binaryKey: new Uint8Array(first) });
      const message = await openpgp.createMessage({ binary: second });
      output = await openpgp.encrypt({ message, encryptionKeys: publicKey, format: 'binary' });
    }
    process.stdout.end(Buffer.from(output.buffer, output.byteOffset, output.byteLength));
  } catch (error) {
    process.stderr.write(String(error && error.message).slice(0, 300));
    process.exitCode = 1;
  }
});
`;

const maxOutputBytes = 1024 * 1024;

// Decrypts a binary OpenPGP message with an unprotected armored private key, in a child process.
// The caller zeroes the result. ERR_SECRET_DECRYPT_FAILED when the key cannot open it.
export function decryptPgpMessageInChild(
  privateKeyArmored: Uint8Array,
  message: Uint8Array,
  what: string,
): Promise<Buffer> {
  return runChild(1, privateKeyArmored, message).catch((error: unknown) => {
    throw new SecretsAgentError('ERR_SECRET_DECRYPT_FAILED', `OpenPGP message could not be decrypted with ${what}`, {
      cause: error,
    });
  });
}

// Encrypts `data` to one binary public key (`gpg --export` form), in a child process; a binary message.
export function encryptToPgpKeyInChild(publicKeyBinary: Uint8Array, data: Uint8Array): Promise<Buffer> {
  return runChild(2, publicKeyBinary, data).catch((error: unknown) => {
    throw new SecretsAgentError('ERR_INTERNAL', 'OpenPGP encryption of the unseal key failed', { cause: error });
  });
}

function runChild(op: number, first: Uint8Array, second: Uint8Array): Promise<Buffer> {
  const openpgpPath = createRequire(import.meta.url).resolve('openpgp');
  return new Promise((resolve, reject) => {
    // No environment: nothing of the store's reaches the child, and no NODE_OPTIONS loads anything into it.
    const child = loadChildProcess().spawn(process.execPath, ['-e', childScript, openpgpPath], {
      env: {},
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    const wipe = (): void => {
      for (const chunk of out) chunk.fill(0);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      outBytes += chunk.length;
      if (outBytes > maxOutputBytes) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 1000) err += chunk.toString('utf8');
    });
    child.on('error', (error) => {
      wipe();
      reject(error);
    });
    child.on('close', (code, signal) => {
      if (code !== 0 || outBytes > maxOutputBytes) {
        wipe();
        reject(new Error(`openpgp child exited ${String(code ?? signal)}: ${err.trim()}`));
        return;
      }
      const result = allocSecretBuffer(outBytes);
      let at = 0;
      for (const chunk of out) at += chunk.copy(result, at);
      wipe();
      resolve(result);
    });
    const header = Buffer.alloc(5);
    header[0] = op;
    header.writeUInt32BE(first.byteLength, 1);
    const input = Buffer.concat([header, first, second]);
    // Once the child has it all, this copy goes.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input, () => input.fill(0));
  });
}
