// Opens an OpenPGP message with an unprotected RSA private key using node:crypto alone, for the
// one message an embedded store opens at every start: the unseal key, encrypted by openpgp.js to
// the store's own bootstrap key (RFC 4880: a v3 PKESK with RSA, then a SEIPD v1 packet under
// AES, holding one uncompressed literal data packet). openpgp.js costs such a process far more
// than the work: ~15-30 ms to load and evaluate, and on Node 20, which refuses PKCS#1 v1.5
// decryption (CVE-2023-46809), RSA in JavaScript BigInts, ~8 ms for a 2048-bit key and ~47 ms for
// the 4096-bit default (docs/benchmarks.md). Here OpenSSL does the RSA without padding and the
// PKCS#1 v1.5 unpadding is done below; the ciphertext is the store's own, read from its storage,
// so there is no padding oracle to guard.
// Anything outside that shape (another algorithm, a protected key, compression, AEAD, a key
// that does not match, a failed check) answers undefined and the caller falls back to openpgp.js,
// whose answer, success or error, is authoritative. A result is returned only when the message's
// SHA-1 modification detection code matched.
// Hygiene: the key bytes decoded from armor, the session key, the padded block, the decrypted
// packet and the DER key are zeroed (the armor text itself is a string, which V8 cannot clear);
// the BigInts used for the CRT exponents are not (V8 cannot clear them), which is why the store
// server keeps its child process for this (openpgp-child.ts) and only short-lived processes use it.
import {
  createDecipheriv,
  createHash,
  createPrivateKey,
  constants,
  privateDecrypt,
  timingSafeEqual,
} from 'node:crypto';
import { allocSecretBuffer } from './secret-buffer.js';

interface Packet {
  readonly tag: number;
  readonly body: Buffer;
}

interface RsaSecretKey {
  readonly keyId: Buffer;
  readonly n: Buffer;
  readonly e: Buffer;
  readonly d: Buffer;
  readonly p: Buffer;
  readonly q: Buffer;
  readonly u: Buffer;
}

const tagPkesk = 1;
const tagSecretKey = 5;
const tagSecretSubkey = 7;
const tagLiteral = 11;
const tagSeipd = 18;
const rsaAlgorithms = new Set([1, 2]); // RSA (encrypt or sign), RSA encrypt-only
const aesKeyBytesByAlgorithm = new Map([
  [7, 16],
  [8, 24],
  [9, 32],
]);
const blockBytes = 16;
const mdcBytes = 22; // 0xD3 0x14 and a SHA-1

// The decrypted literal data, or undefined when this shape of key or message is not handled here.
export function decryptWithRsaKey(keyInput: Uint8Array, message: Uint8Array): Buffer | undefined {
  const keyBytes = decodeKeyBytes(keyInput);
  if (keyBytes === undefined) return undefined;
  try {
    const keyPackets = readPackets(keyBytes);
    const messagePackets = readPackets(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
    if (keyPackets === undefined || messagePackets === undefined) return undefined;
    const keys = keyPackets.flatMap((packet) => {
      if (packet.tag !== tagSecretKey && packet.tag !== tagSecretSubkey) return [];
      const key = readRsaSecretKey(packet.body);
      return key === undefined ? [] : [key];
    });
    const encrypted = messagePackets.filter((packet) => packet.tag === tagSeipd);
    if (encrypted.length !== 1 || encrypted[0] === undefined) return undefined;
    for (const packet of messagePackets) {
      if (packet.tag !== tagPkesk) continue;
      const session = openSessionKey(packet.body, keys);
      if (session === undefined) continue;
      try {
        return decryptSeipd(encrypted[0].body, session);
      } finally {
        session.key.fill(0);
      }
    }
    return undefined;
  } catch {
    // A malformed packet the bounds checks below did not foresee: openpgp.js will say what it is.
    return undefined;
  } finally {
    // The key's secret numbers, decoded from armor here (the caller's own bytes are the caller's).
    if (keyBytes.buffer !== keyInput.buffer) keyBytes.fill(0);
  }
}

// ASCII armor (what openpgp.js writes) or the binary form.
function decodeKeyBytes(input: Uint8Array): Buffer | undefined {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length > 0 && ((bytes[0] ?? 0) & 0x80) !== 0) return bytes;
  const lines = bytes.toString('latin1').split(/\r?\n/);
  const begin = lines.findIndex((line) => line.trim() === '-----BEGIN PGP PRIVATE KEY BLOCK-----');
  if (begin < 0) return undefined;
  // Armor headers ("Comment: ...") end at the first empty line.
  const blank = lines.findIndex((line, index) => index > begin && line.trim() === '');
  const end = lines.findIndex((line, index) => index > begin && line.startsWith('-----END PGP PRIVATE KEY BLOCK-----'));
  if (blank < 0 || end < 0 || blank > end) return undefined;
  const body = lines
    .slice(blank + 1, end)
    .map((line) => line.trim())
    .filter((line) => !/^=[A-Za-z0-9+/]{4}$/.test(line))
    .join('');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return undefined;
  const decoded = Buffer.from(body, 'base64');
  // Outside the JS heap (secret-buffer.ts): zeroing it then leaves no moved copy behind.
  const secret = allocSecretBuffer(decoded.length);
  decoded.copy(secret);
  decoded.fill(0);
  return secret;
}

// RFC 4880 4.2: old and new packet headers, partial body lengths joined.
export function readPackets(bytes: Buffer): Packet[] | undefined {
  const packets: Packet[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const header = bytes[offset] ?? 0;
    if ((header & 0x80) === 0) return undefined;
    offset += 1;
    if ((header & 0x40) === 0) {
      const tag = (header >> 2) & 0x0f;
      const lengthType = header & 0x03;
      let length: number;
      if (lengthType === 3) length = bytes.length - offset;
      else {
        const size = [1, 2, 4][lengthType] ?? 1;
        if (offset + size > bytes.length) return undefined;
        length = bytes.readUIntBE(offset, size);
        offset += size;
      }
      if (offset + length > bytes.length) return undefined;
      packets.push({ tag, body: bytes.subarray(offset, offset + length) });
      offset += length;
      continue;
    }
    const tag = header & 0x3f;
    const parts: Buffer[] = [];
    for (;;) {
      const first = bytes[offset];
      if (first === undefined) return undefined;
      let length: number;
      let partial = false;
      if (first < 192) {
        length = first;
        offset += 1;
      } else if (first < 224) {
        const second = bytes[offset + 1];
        if (second === undefined) return undefined;
        length = ((first - 192) << 8) + second + 192;
        offset += 2;
      } else if (first < 255) {
        length = 1 << (first & 0x1f);
        partial = true;
        offset += 1;
      } else {
        if (offset + 5 > bytes.length) return undefined;
        length = bytes.readUInt32BE(offset + 1);
        offset += 5;
      }
      if (offset + length > bytes.length) return undefined;
      parts.push(bytes.subarray(offset, offset + length));
      offset += length;
      if (!partial) break;
    }
    packets.push({ tag, body: parts.length === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts) });
  }
  return packets;
}

// A multiprecision integer at `offset`: its bytes and where the next field starts.
function readMpi(body: Buffer, offset: number): { value: Buffer; next: number } | undefined {
  if (offset + 2 > body.length) return undefined;
  const bits = body.readUInt16BE(offset);
  const end = offset + 2 + Math.ceil(bits / 8);
  if (end > body.length) return undefined;
  return { value: body.subarray(offset + 2, end), next: end };
}

// A v4 RSA secret key or subkey stored in the clear (S2K usage 0), checksum verified.
function readRsaSecretKey(body: Buffer): RsaSecretKey | undefined {
  if (body[0] !== 4 || !rsaAlgorithms.has(body[5] ?? 0)) return undefined;
  const n = readMpi(body, 6);
  const e = n && readMpi(body, n.next);
  if (e === undefined || n === undefined || body[e.next] !== 0) return undefined;
  const secretStart = e.next + 1;
  const d = readMpi(body, secretStart);
  const p = d && readMpi(body, d.next);
  const q = p && readMpi(body, p.next);
  const u = q && readMpi(body, q.next);
  if (d === undefined || p === undefined || q === undefined || u === undefined || u.next + 2 !== body.length)
    return undefined;
  let sum = 0;
  for (let index = secretStart; index < u.next; index += 1) sum = (sum + (body[index] ?? 0)) & 0xffff;
  if (sum !== body.readUInt16BE(u.next)) return undefined;
  // RFC 4880 12.2: the key ID is the low 64 bits of the SHA-1 fingerprint of the public part.
  const publicPart = body.subarray(0, e.next);
  const prefix = Buffer.from([0x99, publicPart.length >> 8, publicPart.length & 0xff]);
  const fingerprint = createHash('sha1').update(prefix).update(publicPart).digest();
  return { keyId: fingerprint.subarray(12), n: n.value, e: e.value, d: d.value, p: p.value, q: q.value, u: u.value };
}

// The session key of a v3 PKESK addressed to one of `keys` (or to anyone: key ID zero).
function openSessionKey(body: Buffer, keys: readonly RsaSecretKey[]): { algorithm: number; key: Buffer } | undefined {
  if (body[0] !== 3 || body.length < 10 || !rsaAlgorithms.has(body[9] ?? 0)) return undefined;
  const keyId = body.subarray(1, 9);
  const ciphertext = readMpi(body, 10);
  if (ciphertext === undefined) return undefined;
  const wildcard = keyId.every((byte) => byte === 0);
  for (const key of keys) {
    if (!wildcard && !key.keyId.equals(keyId)) continue;
    const session = decryptRsaSessionKey(key, ciphertext.value);
    if (session !== undefined) return session;
  }
  return undefined;
}

function decryptRsaSessionKey(key: RsaSecretKey, ciphertext: Buffer): { algorithm: number; key: Buffer } | undefined {
  const modulusBytes = stripZeros(key.n).length;
  if (ciphertext.length > modulusBytes) return undefined;
  const padded = allocSecretBuffer(modulusBytes);
  ciphertext.copy(padded, modulusBytes - ciphertext.length);
  const der = encodeRsaPrivateKeyDer(key);
  let block: Buffer;
  try {
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
    block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, padded);
  } finally {
    der.fill(0);
  }
  try {
    // EME-PKCS1-v1_5 (RFC 8017 7.2.2): 00 02, at least 8 non-zero bytes, 00, the message.
    if (block[0] !== 0 || block[1] !== 2) return undefined;
    const separator = block.indexOf(0, 2);
    if (separator < 10) return undefined;
    // RFC 4880 5.1: algorithm, key, a two-byte sum of the key's bytes.
    const algorithm = block[separator + 1] ?? 0;
    const keyBytes = aesKeyBytesByAlgorithm.get(algorithm);
    if (keyBytes === undefined || block.length - separator - 1 !== 1 + keyBytes + 2) return undefined;
    const start = separator + 2;
    let sum = 0;
    for (let index = start; index < start + keyBytes; index += 1) sum = (sum + (block[index] ?? 0)) & 0xffff;
    if (sum !== block.readUInt16BE(start + keyBytes)) return undefined;
    const sessionKey = allocSecretBuffer(keyBytes);
    block.copy(sessionKey, 0, start, start + keyBytes);
    return { algorithm, key: sessionKey };
  } finally {
    block.fill(0);
  }
}

// RFC 4880 5.13: CFB with a zero IV over a random prefix, the packets and the MDC packet.
function decryptSeipd(body: Buffer, session: { algorithm: number; key: Buffer }): Buffer | undefined {
  if (body[0] !== 1) return undefined;
  const bits = session.key.length * 8;
  const decipher = createDecipheriv(`aes-${bits}-cfb`, session.key, Buffer.alloc(blockBytes));
  const plain = allocSecretBuffer(body.length - 1);
  const written = decipher.update(body.subarray(1));
  written.copy(plain);
  written.fill(0);
  try {
    const mdcStart = plain.length - mdcBytes;
    if (mdcStart < blockBytes + 2 || plain[mdcStart] !== 0xd3 || plain[mdcStart + 1] !== 0x14) return undefined;
    const digest = createHash('sha1')
      .update(plain.subarray(0, mdcStart + 2))
      .digest();
    if (!timingSafeEqual(digest, plain.subarray(mdcStart + 2))) return undefined;
    const packets = readPackets(plain.subarray(blockBytes + 2, mdcStart));
    const literal = packets?.length === 1 ? packets[0] : undefined;
    // Compressed data (tag 8) is left to openpgp.js, as is anything but one literal packet.
    if (literal === undefined || literal.tag !== tagLiteral) return undefined;
    // RFC 4880 5.9: format, file name (length-prefixed), a four-byte date, the data.
    const nameLength = literal.body[1];
    if (nameLength === undefined || literal.body.length < 2 + nameLength + 4) return undefined;
    const data = literal.body.subarray(2 + nameLength + 4);
    const result = allocSecretBuffer(data.length);
    data.copy(result);
    return result;
  } finally {
    plain.fill(0);
  }
}

// PKCS#1 RSAPrivateKey (RFC 8017 A.1.2). OpenPGP's u is p⁻¹ mod q; PKCS#1's coefficient is
// prime2⁻¹ mod prime1, so OpenPGP's q is prime1 and its p prime2, and u serves as it is.
function encodeRsaPrivateKeyDer(key: RsaSecretKey): Buffer {
  const d = toBigInt(key.d);
  const exponent1 = fromBigInt(d % (toBigInt(key.q) - 1n));
  const exponent2 = fromBigInt(d % (toBigInt(key.p) - 1n));
  const fields = [Buffer.from([0]), key.n, key.e, key.d, key.q, key.p, exponent1, exponent2, key.u].map(
    encodeDerInteger,
  );
  const content = Buffer.concat(fields);
  for (const field of fields) field.fill(0);
  exponent1.fill(0);
  exponent2.fill(0);
  const der = Buffer.concat([Buffer.from([0x30]), encodeDerLength(content.length), content]);
  content.fill(0);
  return der;
}

function encodeDerInteger(value: Buffer): Buffer {
  const stripped = stripZeros(value);
  const sign = stripped.length === 0 || ((stripped[0] ?? 0) & 0x80) !== 0 ? [0] : [];
  const length = stripped.length + sign.length;
  return Buffer.concat([Buffer.from([0x02]), encodeDerLength(length), Buffer.from(sign), stripped]);
}

function encodeDerLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length < 0x100) return Buffer.from([0x81, length]);
  return Buffer.from([0x82, length >> 8, length & 0xff]);
}

function stripZeros(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length && value[start] === 0) start += 1;
  return value.subarray(start);
}

function toBigInt(value: Buffer): bigint {
  return value.length === 0 ? 0n : BigInt(`0x${value.toString('hex')}`);
}

function fromBigInt(value: bigint): Buffer {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
}
