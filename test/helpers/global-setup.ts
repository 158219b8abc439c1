import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// One scratch root for the whole run, removed at the end.
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'secrets-agent-test-'));
  process.env['SECRETS_AGENT_TEST_ROOT'] = root;
  return () => rmSync(root, { recursive: true, force: true });
}
