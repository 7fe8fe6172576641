import type { ConsumedMessage } from "@reeltime/connectors";
import { ReeltimeError } from "@reeltime/runtime";

/**
 * Why a handler failed, which decides what happens next:
 * - `content`: the message itself cannot be handled (too deep for a serialiser, a value a store
 *   refuses). The same message fails on every retry, so it goes to dead letters with the
 *   reason and the partition moves on.
 * - `transient`: a service is down, slow or refusing for now. The batch is delivered again after
 *   a backoff; nothing is skipped.
 * Anything not known to be content counts as transient: a stuck partition shows in
 * reeltime_processor_partition_stalled, a skipped message could not be seen again.
 */
export type FailureKind = "content" | "transient";

/** A failure caused by what a message holds: retrying it cannot succeed. */
export class ContentError extends ReeltimeError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super("REELTIME_ERR_CONTENT", message, opts);
    this.name = "ContentError";
  }
}

/** TypeErrors a value of an unexpected shape causes (a bug would cause them too, on every message). */
const SHAPE_TYPE_ERROR =
  /Cannot (read|set) propert|is not (a function|iterable|an object)|Cannot convert|Invalid (time|array)/;

/** The one place that tells content failures from transient ones. */
export function classifyFailure(err: unknown): FailureKind {
  if (err instanceof ContentError) return "content";
  if (err instanceof ReeltimeError) {
    // Coded errors say it: a passing outage is retryable; a 4xx that is not about access is the data.
    if (err.retryable) return "transient";
    const s = err.status;
    return s !== undefined && s >= 400 && s < 500 && s !== 401 && s !== 403 && s !== 404 && s !== 408 && s !== 429
      ? "content"
      : "transient";
  }
  // Recursion too deep for a nested value, a string or array too long, JSON that does not parse.
  if (err instanceof RangeError || err instanceof SyntaxError) return "content";
  if (err instanceof TypeError && err.cause === undefined && SHAPE_TYPE_ERROR.test(err.message)) return "content";
  return "transient";
}

/** Exponential backoff with equal jitter: attempt n waits between half and all of base·2ⁿ, at most `max`. */
export function backoffMs(attempt: number, base: number, max: number): number {
  const d = Math.min(max, base * 2 ** Math.min(attempt, 20));
  return Math.round(d / 2 + (Math.random() * d) / 2);
}

const POISON = Symbol("reeltime.poison");

/** A message the runtime found to be poison: processors see it as undecodable and dead-letter it. */
export type PoisonedMessage = ConsumedMessage & { [POISON]: { reason: string; message: string } };

/** Reason of the dead letter for a message whose handling failed because of its content. */
export const UNPROCESSABLE = "unprocessable";

/** Marks a message as poison: `decode` returns undefined for it and its dead letter carries this reason. */
export function poisoned(m: ConsumedMessage, stage: string, err: unknown): PoisonedMessage {
  const e = err as Error;
  return { ...m, [POISON]: { reason: UNPROCESSABLE, message: `${stage}: ${e?.name ?? "Error"}: ${e?.message ?? e}` } };
}

/** Marks a message the runtime could not read at all (a record format it does not know): dead-lettered with this reason. */
export function unreadable(m: ConsumedMessage, why: { reason: string; message: string }): PoisonedMessage {
  return { ...m, [POISON]: { reason: why.reason, message: why.message } };
}

/** The poison mark of a message, if the runtime set one. */
export function poisonOf(m: ConsumedMessage): { reason: string; message: string } | undefined {
  return (m as Partial<PoisonedMessage>)[POISON];
}
