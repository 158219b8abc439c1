import { afterAll, expect } from 'vitest';
import { canaryValue } from './canary.js';
import { capturedLogLines } from './log-capture.js';

// Runs after every test file: no captured log line may contain the canary secret value.
afterAll(() => {
  const leaks = capturedLogLines().filter((line) => line.includes(canaryValue));
  expect(leaks, 'canary secret value leaked into log lines').toEqual([]);
});
