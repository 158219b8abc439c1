// The data of one znode of the key tree:
//   0x01 | write id (16) | value      the key has a value
//   0x00 | write id (16)              the key has no value (deleted: a tombstone)
//   0x00  or empty                    a folder created as a parent (never had a value)
// The write id is random per write. After a connection loss the outcome of a write is unknown;
// reading the znode back and finding our write id proves it was applied (see zk-backend.ts).
import { randomBytes } from 'node:crypto';

const hasValueMarker = 0x01;
const noValueMarker = 0x00;
export const writeIdBytes = 16;
const headerBytes = 1 + writeIdBytes;

export type ZkRecord =
  | { readonly kind: 'value'; readonly writeId: string; readonly value: Uint8Array }
  | { readonly kind: 'empty'; readonly writeId: string | undefined };

export const folderRecordData: Buffer = Buffer.from([noValueMarker]);

// A fresh id for one write attempt (hex).
export function createWriteId(): string {
  return randomBytes(writeIdBytes).toString('hex');
}

// The znode data for a value written by write `writeId`.
export function encodeValueRecord(writeId: string, value: Uint8Array): Buffer {
  const data = Buffer.allocUnsafe(headerBytes + value.byteLength);
  data[0] = hasValueMarker;
  data.write(writeId, 1, writeIdBytes, 'hex');
  data.set(value, headerBytes);
  return data;
}

// The znode data for deleting a key's value (write `writeId`); children are kept.
export function encodeTombstoneRecord(writeId: string): Buffer {
  const data = Buffer.alloc(headerBytes);
  data[0] = noValueMarker;
  data.write(writeId, 1, writeIdBytes, 'hex');
  return data;
}

// Reads znode data; undefined when it is not in this format (the caller reports it as corrupt).
export function parseZkRecord(data: Buffer): ZkRecord | undefined {
  if (data.length === 0 || (data.length === 1 && data[0] === noValueMarker))
    return { kind: 'empty', writeId: undefined };
  if (data.length < headerBytes) return undefined;
  const writeId = data.toString('hex', 1, headerBytes);
  if (data[0] === noValueMarker) return data.length === headerBytes ? { kind: 'empty', writeId } : undefined;
  if (data[0] !== hasValueMarker) return undefined;
  // A copy: the record outlives the socket buffer it was sliced from, and callers get their own copies anyway.
  return { kind: 'value', writeId, value: new Uint8Array(data.subarray(headerBytes)) };
}

// Bytes a record adds to its value.
export const zkRecordOverheadBytes = headerBytes;
