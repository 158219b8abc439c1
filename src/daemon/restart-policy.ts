// When to start a task again after it exited: exponential backoff with jitter for quick failures,
// and after `holdAfter` quick failures in a row the task is held back for `holdForMs` instead of
// being restarted in a tight loop. A run that lasted `minUptimeMs` counts as healthy and clears
// the streak. Pure maths; the task owns the timers.
export interface RestartPolicy {
  readonly restartDelayMs: number;
  readonly restartDelayMaxMs: number;
  readonly minUptimeMs: number;
  readonly holdAfter: number;
  readonly holdForMs: number;
}

export type RestartDecision =
  | { readonly action: 'restart'; readonly delayMs: number; readonly quickFailures: number }
  | { readonly action: 'hold'; readonly delayMs: number; readonly quickFailures: number };

// Decides after an exit; `quickFailures` is the streak before this exit.
export function decideRestart(
  input: { quickFailures: number; uptimeMs: number },
  policy: RestartPolicy,
  random: () => number = Math.random,
): RestartDecision {
  const quickFailures = input.uptimeMs >= policy.minUptimeMs ? 0 : input.quickFailures + 1;
  if (quickFailures >= policy.holdAfter) return { action: 'hold', delayMs: policy.holdForMs, quickFailures };
  return { action: 'restart', delayMs: restartDelayMs(quickFailures, policy, random), quickFailures };
}

// Equal jitter: half the ceiling fixed, half random, so a crash loop never restarts at once and
// tasks that failed together (a bad rotation) spread out instead of restarting in lockstep.
export function restartDelayMs(
  quickFailures: number,
  policy: RestartPolicy,
  random: () => number = Math.random,
): number {
  if (quickFailures === 0) return 0;
  const ceiling = Math.min(policy.restartDelayMaxMs, policy.restartDelayMs * 2 ** Math.min(quickFailures - 1, 30));
  const unit = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceiling / 2 + (unit * ceiling) / 2);
}
