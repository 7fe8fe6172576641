import { boundedPayload, type ConsumedBatch, type DeadLetter, type SearchStore } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import type { Processor } from "@reeltime/processing";
import { deadLetter, decode } from "@reeltime/processing";

const str = (v: unknown, max: number) => (typeof v === "string" ? v.slice(0, max).toWellFormed() : undefined);

/**
 * A letter as the search store can hold it, whatever its producer (an older ingest, another
 * tool): known fields only, strings cut, the payload bounded again (see boundedPayload).
 */
function bounded(l: Record<string, unknown>): DeadLetter {
  const optional = (name: "topic" | "app_id" | "event_id" | "event_type") => {
    const v = str(l[name], 256);
    return v === undefined ? {} : { [name]: v };
  };
  // Ingest's letters carry what the request told the server (for replay): kept, as strings.
  const r = l.request;
  const request =
    r !== null && typeof r === "object"
      ? Object.fromEntries(
          (["ip", "country", "user_agent"] as const).flatMap((k) => {
            const v = str((r as Record<string, unknown>)[k], 512);
            return v === undefined ? [] : [[k, v]];
          }),
        )
      : undefined;
  return {
    ...(request ? { request } : {}),
    dead_letter_id: str(l.dead_letter_id, 64)!,
    stage: str(l.stage, 64) ?? "unknown",
    reason: str(l.reason, 64) ?? "unknown",
    message: str(l.message, 2000) ?? "",
    ...optional("topic"),
    ...optional("app_id"),
    ...optional("event_id"),
    ...optional("event_type"),
    payload: boundedPayload(l.payload),
    received_at: str(l.received_at, 64) ?? new Date().toISOString(),
  };
}

/**
 * Dead letters → the search store, searchable by reason, stage and time (for `reeltime replay`).
 * It publishes nothing: a letter it cannot read is indexed as a letter of its own (stage
 * `dead-letters`) with the message's text as payload, so nothing loops back to this stream.
 */
export class DeadLetterIndexer implements Processor {
  readonly name = "dead-letters";
  readonly group = "reeltime-dead-letters";
  readonly topics = [TOPICS.deadLetter];
  readonly commit = "after-handler" as const;
  readonly #search: SearchStore;

  constructor(deps: { search: SearchStore }) {
    this.#search = deps.search;
  }

  async handle(batch: ConsumedBatch): Promise<void> {
    const letters: DeadLetter[] = [];
    for (const m of batch.messages) {
      // Any depth is parsed (JSON.parse does not recurse); the payload is bounded right after.
      const l = decode(m, { maxDepth: Number.POSITIVE_INFINITY });
      if (l && typeof l.dead_letter_id === "string") letters.push(bounded(l));
      else
        letters.push(deadLetter(this.name, "not_a_dead_letter", "the message is not a JSON dead letter", m, undefined));
    }
    if (letters.length > 0) await this.#search.indexDeadLetters(letters);
  }
}
