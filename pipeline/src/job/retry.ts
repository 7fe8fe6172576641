import { setTimeout as sleep } from "node:timers/promises";

export interface RetryOptions {
  /** Attempts in all, including the first. */
  attempts: number;
  /** Delay before the second attempt; doubles each time, with ±20% jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 1000, maxDelayMs: 15_000 };

/** The delay before attempt `attempt + 1` (attempt counts from 1). */
export function backoffMs(attempt: number, o: RetryOptions, random = Math.random): number {
  const raw = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/**
 * Runs `task` until it succeeds, it fails with an error `retryable` refuses, or attempts run
 * out; `onFailure` hears about every failed attempt (to report it) before the wait.
 */
export async function withRetry<T>(
  task: (attempt: number) => Promise<T>,
  o: RetryOptions & {
    retryable: (err: unknown) => boolean;
    onFailure?: (err: unknown, attempt: number, willRetry: boolean) => Promise<void> | void;
    signal?: AbortSignal;
  },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task(attempt);
    } catch (err) {
      const willRetry = attempt < o.attempts && o.retryable(err) && !o.signal?.aborted;
      await o.onFailure?.(err, attempt, willRetry);
      if (!willRetry) throw err;
      await sleep(backoffMs(attempt, o), undefined, o.signal ? { signal: o.signal } : {}).catch(() => {});
      if (o.signal?.aborted) throw err;
    }
  }
}
