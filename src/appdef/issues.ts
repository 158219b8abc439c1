// Validation issues: each names a JSON pointer and says what is wrong there, never a value.
import { SecretsAgentError } from '../core/errors.js';

export interface AppDefIssue {
  /** RFC 6901 pointer into the definition; '' is the root. */
  readonly pointer: string;
  readonly message: string;
}

/** Lines past this many are summarised in the message; `details.issues` keeps them all. */
const maxMessageLines = 100;

// One line per issue: `/container/volumes/2/containerPath: must be relative, got "/etc/passwd"`.
export function formatIssue(issue: AppDefIssue): string {
  return `${issue.pointer === '' ? '(root)' : issue.pointer}: ${issue.message}`;
}

// Throws ERR_APPDEF_INVALID listing every issue (one per line) when there are any.
export function assertNoAppDefIssues(issues: readonly AppDefIssue[], what: string): void {
  if (issues.length === 0) return;
  const lines = issues.slice(0, maxMessageLines).map(formatIssue);
  if (issues.length > maxMessageLines) lines.push(`... and ${issues.length - maxMessageLines} more`);
  const count = issues.length === 1 ? '1 issue' : `${issues.length} issues`;
  throw new SecretsAgentError('ERR_APPDEF_INVALID', `${what} (${count}):\n${lines.join('\n')}`, {
    details: { issues: issues.map((issue) => ({ pointer: issue.pointer, message: issue.message })) },
  });
}
