import { type Static, Type } from "@sinclair/typebox";
import { HINT, LongText, Obj, ShortText, Timestamp } from "./common.ts";

const Opt = Type.Optional;

/**
 * One dead letter: a message reeltime refused (ingest) or could not process (a processor),
 * with where, why and the payload as it came (bounded: see boundedPayload in connectors). The
 * one definition of the record: the bus messages, the stores and the ES mapping derive from it.
 */
export const DeadLetterRecord = Obj(
  {
    dead_letter_id: Type.String({ minLength: 1, maxLength: 64 }),
    stage: ShortText({ description: "where it failed: ingest, indexer, sessionizer, archiver…" }),
    reason: ShortText({ description: "a stable reason, e.g. schema, rejected_by_store, undecodable" }),
    message: LongText({ search: true, description: "what went wrong, in words" }),
    topic: Opt(ShortText({ description: "the topic it was read from (unset for ingest letters)" })),
    app_id: Opt(ShortText()),
    event_id: Opt(ShortText()),
    event_type: Opt(ShortText()),
    payload: Type.Unknown({ [HINT]: "json", description: "the original payload, verbatim (stored, not indexed)" }),
    received_at: Timestamp,
    /**
     * Ingest letters: what the request told the server beside the key's app (truncated IP,
     * country, User-Agent), so a replay stamps the payload exactly as ingest would have.
     */
    request: Opt(
      Type.Object(
        { ip: Opt(Type.String()), country: Opt(Type.String()), user_agent: Opt(Type.String()) },
        { additionalProperties: false, [HINT]: "json" },
      ),
    ),
    replayed_at: Opt(Timestamp),
  },
  "a message reeltime refused or could not process, with its reason",
);
export type DeadLetter = Static<typeof DeadLetterRecord>;
