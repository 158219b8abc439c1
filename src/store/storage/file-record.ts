// The on-disk format of one record file:
//   magic "SAREC\0\0\1" (8) | version u64 BE (8) | key bytes u32 BE (4) | value bytes u32 BE (4)
//   | key (UTF-8) | value | CRC-32 of everything before it (4)
// The full key in the header lets a reader check the file sits where its key says (and names
// hashed long segments); the length fields and the CRC detect a torn or altered file.
import { crc32 } from 'node:zlib';

const magic = Buffer.from('SAREC\0\0\x01', 'latin1');
const headerBytes = 24;
const trailerBytes = 4;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface DecodedRecord {
  readonly key: string;
  readonly version: number;
  /** A view into the file's bytes. */
  readonly value: Uint8Array;
}

// Serialises one record; the value is copied, so the caller may reuse its buffer afterwards.
export function encodeRecord(key: string, version: number, value: Uint8Array): Buffer {
  const keyBytes = Buffer.from(key, 'utf8');
  const size = headerBytes + keyBytes.length + value.byteLength + trailerBytes;
  const record = Buffer.allocUnsafeSlow(size);
  magic.copy(record, 0);
  record.writeBigUInt64BE(BigInt(version), 8);
  record.writeUInt32BE(keyBytes.length, 16);
  record.writeUInt32BE(value.byteLength, 20);
  keyBytes.copy(record, headerBytes);
  record.set(value, headerBytes + keyBytes.length);
  record.writeUInt32BE(crc32(record.subarray(0, size - trailerBytes)), size - trailerBytes);
  return record;
}

// The value's position inside a record produced by encodeRecord for `key`.
export function recordValueView(record: Buffer, key: string): Uint8Array {
  const start = headerBytes + Buffer.byteLength(key, 'utf8');
  return record.subarray(start, record.length - trailerBytes);
}

// Parses a record file's bytes, or says what is wrong with them.
export function decodeRecord(bytes: Buffer): DecodedRecord | { readonly problem: string } {
  if (bytes.length < headerBytes + trailerBytes)
    return { problem: `file is ${bytes.length} bytes, shorter than a record header` };
  if (!bytes.subarray(0, magic.length).equals(magic)) return { problem: 'file does not start with the record magic' };
  const keyLength = bytes.readUInt32BE(16);
  const valueLength = bytes.readUInt32BE(20);
  const expectedSize = headerBytes + keyLength + valueLength + trailerBytes;
  if (expectedSize !== bytes.length)
    return { problem: `file is ${bytes.length} bytes, its header says ${expectedSize} (torn write?)` };
  const storedCrc = bytes.readUInt32BE(bytes.length - trailerBytes);
  if (crc32(bytes.subarray(0, bytes.length - trailerBytes)) !== storedCrc) return { problem: 'checksum mismatch' };
  const version = bytes.readBigUInt64BE(8);
  if (version > BigInt(Number.MAX_SAFE_INTEGER)) return { problem: 'version out of range' };
  let key: string;
  try {
    key = utf8.decode(bytes.subarray(headerBytes, headerBytes + keyLength));
  } catch {
    return { problem: 'key is not valid UTF-8' };
  }
  const valueStart = headerBytes + keyLength;
  return { key, version: Number(version), value: bytes.subarray(valueStart, valueStart + valueLength) };
}
