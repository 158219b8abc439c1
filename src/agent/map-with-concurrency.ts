import { SecretsAgentError } from '../core/errors.js';

// Runs `work` over `items` with at most `limit` in flight; results keep the input order.
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`limit\` to be a positive integer, got \`${String(limit)}\` (${typeof limit})`,
    );
  }
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
