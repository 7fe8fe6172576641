import { boundedPayload, type ConsumedBatch, type DeadLetter, type SearchStore } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import { decode } from "../runtime/messages.ts";
import type { Processor } from "../runtime/processor.ts";

/** Dead letters → the search store, searchable by reason, stage and time (for `reeltime replay`). */
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
      const l = decode<DeadLetter>(m);
      // Letters from any producer (an older ingest, another tool) are bounded here again: one
      // hostile payload must not stop the indexing of every letter after it.
      if (l && typeof l.dead_letter_id === "string") letters.push({ ...l, payload: boundedPayload(l.payload) });
    }
    if (letters.length > 0) await this.#search.indexDeadLetters(letters);
  }
}
