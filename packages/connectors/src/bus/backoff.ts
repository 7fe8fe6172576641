/** Exponential backoff with full jitter: attempt 0 waits up to `base`, capped at `max`. */
export function backoffMs(attempt: number, base = 50, max = 1000): number {
  return Math.random() * Math.min(max, base * 2 ** attempt);
}

export { sleep } from "@reeltime/runtime";

/** Rejects with `onTimeout()` if `work` has not settled within `ms`. */
export async function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
