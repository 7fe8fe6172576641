/** Exponential backoff with full jitter: attempt 0 waits up to `base`, capped at `max`. */
export function backoffMs(attempt: number, base = 50, max = 1000): number {
  return Math.random() * Math.min(max, base * 2 ** attempt);
}

import { sleep } from "@reeltime/runtime";

export { sleep };

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

/**
 * Waits until every partition of every topic in `names` has a leader, asking `leaders` (each
 * topic's partition leaders; a topic the broker does not know yet is missing, and a failed ask
 * is retried) every 100 ms for at least `ms` (10 s at least). Both Kafka adapters' ensureTopics use
 * it after creating topics: a KRaft broker answers UNKNOWN_TOPIC_OR_PARTITION for a moment after
 * creating them. Past the deadline it throws, naming the last failed ask.
 */
export async function untilTopicsLed(
  names: readonly string[],
  leaders: () => Promise<Map<string, readonly number[]>>,
  ms: number,
): Promise<void> {
  const until = Date.now() + Math.max(ms, 10_000);
  let last: unknown;
  for (;;) {
    const known = await leaders().catch((e: unknown) => {
      last = e;
      return undefined;
    });
    const ready = names.every((n) => {
      const partitions = known?.get(n);
      return partitions !== undefined && partitions.length > 0 && partitions.every((l) => l >= 0);
    });
    if (ready) return;
    if (Date.now() > until)
      throw new Error(`topics ${names.join(", ")} have no leader yet${last ? ` (${(last as Error).message})` : ""}`, {
        cause: last,
      });
    await sleep(100);
  }
}
