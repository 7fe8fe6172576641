import { type DeadLetter, TOPICS } from "@reeltime/events";
import type { Bus } from "@reeltime/ports";
import { ReeltimeError } from "@reeltime/runtime";

const encoder = new TextEncoder();

export interface PublishDeadLettersOptions {
  /** Fail with REELTIME_ERR_BUS_UNAVAILABLE when the bus has not acknowledged within this many ms (ingest). */
  timeoutMs?: number;
  /** Headers for every message (ingest: schema version, content type, trace context). */
  headers?: Record<string, string>;
}

/**
 * The one publisher of dead letters: one bus publish to the dead-letter topic, one message per
 * letter (its JSON), keyed by app or, for a letter without one, by stage; resolves once the bus
 * acknowledged them, rejects with the bus's error. Ingest passes its publish timeout and its bus
 * headers, processors neither.
 */
export async function publishDeadLetters(
  bus: Bus,
  letters: readonly DeadLetter[],
  opts: PublishDeadLettersOptions = {},
): Promise<void> {
  if (letters.length === 0) return;
  const { timeoutMs, headers } = opts;
  const published = bus.publish(
    TOPICS.deadLetter,
    letters.map((l) => ({
      key: l.app_id ?? l.stage,
      value: encoder.encode(JSON.stringify(l)),
      ...(headers ? { headers } : {}),
    })),
  );
  if (timeoutMs === undefined) return published;
  return withBusTimeout(published, timeoutMs);
}

/**
 * A publish the caller will not wait for longer than `ms`: rejects with
 * REELTIME_ERR_BUS_UNAVAILABLE (503, retryable) when the bus has not acknowledged by then.
 */
export function withBusTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ReeltimeError("REELTIME_ERR_BUS_UNAVAILABLE", `the bus did not acknowledge within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
