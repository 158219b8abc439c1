// Secret `source` paths as docs/decisions.md#paths defines them: `/`-separated segments of
// [A-Za-z0-9._-]+, never `.` or `..`, no empty segment, at most 64 segments and 1024 bytes.
// The same rule as the store's (src/store/secret-path.ts), restated here because domain folders do
// not import each other, and phrased as an issue rather than a thrown error.
import { quoteText } from './describe-json.js';

export const maxSourceSegments = 64;
export const maxSourceBytes = 1024;

const segmentPattern = /^[A-Za-z0-9._-]+$/;

// Says what is wrong with a secret source path, or undefined when it is fine.
export function describeSecretSourceProblem(source: string): string | undefined {
  if (source === '') return 'must not be empty';
  if (source.startsWith('/')) {
    return `must not start with "/" (secret paths are relative to the store: write ${JSON.stringify(source.replace(/^\/+/, ''))})`;
  }
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > maxSourceBytes) return `must be at most ${maxSourceBytes} bytes, got ${bytes}`;
  const segments = source.split('/');
  if (segments.length > maxSourceSegments)
    return `must have at most ${maxSourceSegments} segments, got ${segments.length}`;
  for (let index = 0; index < segments.length; index += 1) {
    const segment = segments[index] as string;
    const where = `segment ${index + 1}`;
    if (segment === '') return `must be a secret path: ${where} is empty (trailing or doubled "/")`;
    if (segment === '.' || segment === '..')
      return `must be a secret path: ${where} ${JSON.stringify(segment)} is not allowed`;
    if (!segmentPattern.test(segment))
      return `must be a secret path: ${where} ${quoteText(segment)} has characters outside [A-Za-z0-9._-]`;
  }
  return undefined;
}
