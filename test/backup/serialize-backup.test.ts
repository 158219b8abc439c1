import { describe, expect, it } from 'vitest';
import { parseBackup, serializeBackup } from '../../src/backup/index.js';

const binaryBytes = Uint8Array.from([0x76, 0x61, 0x6c, 0x75, 0x65, 0x85, 0xff, 0x33]);

describe('serializeBackup', () => {
  it('writes what backup.py writes: indent 2, sorted keys, every value in base64', () => {
    const text = serializeBackup({
      clusterId: 'c1',
      secrets: [
        {
          path: 'folder',
          key: 'key2',
          type: 'text',
          bytes: new TextEncoder().encode('v2'),
          description: 'd',
          labels: ['l'],
          author: 'a',
        },
        { path: 'folder', key: 'key3', type: 'binary', bytes: binaryBytes },
      ],
    });
    expect(text).toBe(`{
  "cluster_id": "c1",
  "secrets": [
    {
      "author": "a",
      "description": "d",
      "key": "key2",
      "labels": [
        "l"
      ],
      "path": "folder",
      "type": "text",
      "value": "djI="
    },
    {
      "key": "key3",
      "path": "folder",
      "type": "binary",
      "value": "dmFsdWWF/zM="
    }
  ]
}
`);
  });

  it('round-trips through parseBackup byte for byte', () => {
    const document = {
      secrets: [
        {
          path: '',
          key: 'a',
          type: 'text' as const,
          bytes: new TextEncoder().encode('ünïcode ✓'),
          description: '',
          labels: [],
        },
        { path: 'x', key: 'y/z', type: 'binary' as const, bytes: binaryBytes },
        { path: 'x', key: 'empty', type: 'text' as const, bytes: new Uint8Array() },
      ],
    };
    const parsed = parseBackup(serializeBackup(document), { source: 'memory' });
    expect(parsed.secrets.map((entry) => ({ ...entry, bytes: [...entry.bytes] }))).toEqual(
      document.secrets.map((entry) => ({ ...entry, bytes: [...entry.bytes] })),
    );
  });
});
