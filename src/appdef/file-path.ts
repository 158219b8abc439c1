// Where secret files land, relative to the workload's sandbox (`containerPath`, `mountPath`).
// A path must already be in normal form, so the one written in the definition is the one used,
// and two files may neither share a path nor sit one inside the other.
import { hasControlCharacter } from '../core/control-characters.js';
import { quoteText } from './describe-json.js';
import type { AppDefIssue } from './issues.js';

export const maxFilePathBytes = 1024;
/** NAME_MAX on Linux file systems. */
export const maxFileSegmentBytes = 255;

// Says what is wrong with a relative file path, or undefined when it is fine.
export function describeFilePathProblem(path: string): string | undefined {
  if (path === '') return 'must not be empty';
  if (path.includes('\0')) return 'must not contain NUL';
  if (hasControlCharacter(path)) return 'must not contain control characters';
  if (path.startsWith('/')) return `must be relative, got ${quoteText(path)}`;
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes > maxFilePathBytes) return `must be at most ${maxFilePathBytes} bytes, got ${bytes}`;
  const segments = path.split('/');
  if (segments.includes('..')) return `must not contain ".." segments, got ${quoteText(path)}`;
  const normal = segments.filter((segment) => segment !== '' && segment !== '.');
  if (normal.length === 0) return `must name a file, got ${quoteText(path)}`;
  if (normal.length !== segments.length)
    return `must be normalised, got ${quoteText(path)} (write ${quoteText(normal.join('/'))})`;
  const long = segments.findIndex((segment) => Buffer.byteLength(segment, 'utf8') > maxFileSegmentBytes);
  if (long !== -1) return `segment ${long + 1} must be at most ${maxFileSegmentBytes} bytes`;
  return undefined;
}

export interface FilePlacement {
  readonly relativePath: string;
  /** Pointer of the path field, where a collision is reported. */
  readonly pointer: string;
}

// Reports each file that lands on, inside, or above an earlier one (valid paths only).
export function reportFileCollisions(files: readonly FilePlacement[], issues: AppDefIssue[]): void {
  const filesByPath = new Map<string, FilePlacement>();
  // Every proper ancestor directory of a placed file, with the first file below it.
  const firstFileBelow = new Map<string, FilePlacement>();
  for (const file of files) {
    const problem = describeCollision(file, filesByPath, firstFileBelow);
    if (problem !== undefined) {
      issues.push({ pointer: file.pointer, message: problem });
      continue;
    }
    filesByPath.set(file.relativePath, file);
    const segments = file.relativePath.split('/');
    for (let length = 1; length < segments.length; length += 1) {
      const ancestor = segments.slice(0, length).join('/');
      if (!firstFileBelow.has(ancestor)) firstFileBelow.set(ancestor, file);
    }
  }
}

function describeCollision(
  file: FilePlacement,
  filesByPath: ReadonlyMap<string, FilePlacement>,
  firstFileBelow: ReadonlyMap<string, FilePlacement>,
): string | undefined {
  const path = file.relativePath;
  const same = filesByPath.get(path);
  if (same !== undefined) return `lands on ${quoteText(path)}, the same path as ${same.pointer}`;
  const below = firstFileBelow.get(path);
  if (below !== undefined)
    return `${quoteText(path)} is a parent directory of ${quoteText(below.relativePath)} (${below.pointer})`;
  const segments = path.split('/');
  for (let length = 1; length < segments.length; length += 1) {
    const ancestor = filesByPath.get(segments.slice(0, length).join('/'));
    if (ancestor !== undefined)
      return `${quoteText(path)} lies inside ${quoteText(ancestor.relativePath)}, a file (${ancestor.pointer})`;
  }
  return undefined;
}
