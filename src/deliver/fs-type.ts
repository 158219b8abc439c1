// Which kind of filesystem a path lives on: secrets belong on memory-backed ones only.
import { statfs } from 'node:fs/promises';

const tmpfsMagic = 0x01021994;
const ramfsMagic = 0x858458f6;

export type SecretFsType = 'tmpfs' | 'ramfs' | 'disk';

// statfs(2) f_type of `path`, mapped to tmpfs, ramfs or (anything else) disk.
export async function detectFsType(path: string): Promise<SecretFsType> {
  const { type } = await statfs(path);
  // f_type is unsigned in the kernel; Node may hand it over as a negative 32-bit number.
  const magic = type >>> 0;
  if (magic === tmpfsMagic) return 'tmpfs';
  if (magic === ramfsMagic) return 'ramfs';
  return 'disk';
}
