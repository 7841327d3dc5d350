export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /**
   * Full jitter: the wait is a random share (0..1) of the capped delay, so that many retrying
   * callers do not beat in step. Without it the delay is exact.
   */
  random?: () => number;
}

/** The wait before retry `attempt` (from 1): `baseMs` doubling per attempt, capped at `maxMs`. */
export function backoffMs(attempt: number, { baseMs = 200, maxMs = 10_000, random }: BackoffOptions = {}): number {
  const capped = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return random ? Math.round(random() * capped) : capped;
}

/**
 * Retries with capped exponential backoff until `fn` succeeds or `shouldStop` says so (given
 * the error, it can tell one that asking again will not cure).
 * Used where giving up would lose data (inserts before a commit): the caller keeps its
 * offsets uncommitted and simply waits out the outage.
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: {
    baseMs?: number;
    maxMs?: number;
    maxAttempts?: number;
    shouldStop?: (err: unknown) => boolean;
    onError?: (err: unknown, attempt: number, delayMs: number) => void;
  } = {},
): Promise<T> {
  const { baseMs = 200, maxMs = 10_000, maxAttempts = Infinity, shouldStop = () => false, onError } = opts;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= maxAttempts || shouldStop(err)) throw err;
      const delay = backoffMs(attempt, { baseMs, maxMs });
      onError?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}
