import {
  boundedPayload,
  type DeadLetter as DeadLetterMessage,
  type PackedRecords,
  packEventRecords,
  type RecordFormat,
} from "@reeltime/connectors";
import {
  CLIENT_FAMILIES,
  type EventResult,
  enrichInPlace,
  familyOf,
  type Issue,
  type ReeltimeEvent,
  type RequestContext,
  requestRecord,
  routeOf,
  validateBatch,
  withoutServerFields,
} from "@reeltime/events";
import { v7 as uuidv7 } from "uuid";
import { wellFormed } from "./body.ts";

/**
 * The work of a write request that needs no socket and no bus: from the body's bytes (or the
 * CMCD route's events) to the answer of each event, the dead letters and the bus records, packed.
 * It runs on the event loop or on a worker thread (REELTIME_INGEST_WORKERS, prepare-pool.ts): its
 * input and output are plain data, so both give the same bytes.
 */

/** One line of the per-event answer: the SDK drops what is `ok: false` and never retries it. */
export interface EventAnswer {
  index: number;
  ok: boolean;
  event_id?: string;
  errors?: Issue[];
}

/** The records of one topic: values packed in one buffer (see packEventRecords). */
export interface PreparedTopic extends PackedRecords {
  topic: string;
}

/** A request's events, checked and turned into records, ready to publish and answer. */
export interface PreparedAccept {
  accepted: number;
  rejected: number;
  /** The per-event answers (EventAnswer[]) as JSON text, the `results` of the response. */
  results: string;
  letters: DeadLetterMessage[];
  /** One entry per problem of a refused event (for the rejected counter). */
  rejectedReasons: string[];
  /** Accepted events per family (the accepted counter, once per family per request). */
  perFamily: [family: string, events: number][];
  topics: PreparedTopic[];
}

export interface PrepareOptions {
  /** REELTIME_BUS_RECORD_FORMAT. */
  format: RecordFormat;
  /** The bus's largest record (Bus.maxMessageBytes). */
  maxMessageBytes: number;
  /** Headers every record carries (schema version, content type, the request's trace context). */
  headers: Record<string, string>;
}

/** What POST /v1/events hands to prepareBatch. */
export interface BatchInput extends PrepareOptions {
  /**
   * The body's bytes as received (after decompression), not yet decoded: read as UTF-8 where
   * they are parsed, so the event loop never holds the body as a string. A worker pool takes
   * them (prepare-pool.ts: moved to the thread, not copied).
   */
  body: Uint8Array;
  ctx: RequestContext & { keyId: string };
  maxEvents: number;
}

export type Prepared =
  | { kind: "json"; message: string }
  | { kind: "batch"; issue: Issue; issues: Issue[]; letter: DeadLetterMessage }
  | ({ kind: "ok" } & PreparedAccept);

/** POST /v1/events: parse, drop server fields, validate, enrich, encode (see the module's comment). */
export function prepareBatch(input: BatchInput): Prepared {
  const { body: bytes } = input;
  // Invalid UTF-8 becomes U+FFFD (body.ts).
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  let body: unknown;
  try {
    body = wellFormed(JSON.parse(text), text);
  } catch (err) {
    return { kind: "json", message: `the body is not valid JSON: ${(err as Error).message}` };
  }
  const { ctx } = input;
  const batch = validateBatch(withoutServerFieldsInBatch(body), {
    maxEvents: input.maxEvents,
    families: CLIENT_FAMILIES,
  });
  if (batch.batchErrors.length > 0) {
    const issue = batch.batchErrors[0]!;
    return {
      kind: "batch",
      issue,
      issues: batch.batchErrors,
      letter: {
        dead_letter_id: crypto.randomUUID(),
        stage: "ingest",
        reason: issue.reason,
        message: issue.message,
        app_id: ctx.appId,
        received_at: ctx.receivedAt,
        request: requestRecord(ctx),
        payload: JSON.stringify(body)?.slice(0, 64 * 1024) ?? null,
      },
    };
  }
  const raws = Array.isArray(body) ? body : (body as { events: unknown[] }).events;
  return { kind: "ok", ...prepareAccepted(batch.results, raws, ctx, "ingest", input) };
}

function withoutServerFieldsInBatch(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(withoutServerFields);
  if (body !== null && typeof body === "object" && Array.isArray((body as { events?: unknown }).events))
    return { events: (body as { events: unknown[] }).events.map(withoutServerFields) };
  return body;
}

/** The valid events enriched and packed into records, the invalid ones as dead letters, an answer for each. */
export function prepareAccepted(
  results: EventResult[],
  raws: unknown[],
  ctx: RequestContext,
  stage: string,
  opts: PrepareOptions,
): PreparedAccept {
  const valid: ReeltimeEvent[] = [];
  const letters: DeadLetterMessage[] = [];
  const rejectedReasons: string[] = [];
  const answers: EventAnswer[] = results.map((r) => {
    if (r.ok) {
      // The event is this request's own parse (withoutServerFields copies only what it changes).
      valid.push(enrichInPlace(r.event as unknown as Record<string, unknown>, ctx) as unknown as ReeltimeEvent);
      return { index: r.index, ok: true, event_id: r.event.event_id };
    }
    letters.push(deadLetter(r, raws[r.index], ctx, stage));
    for (const e of r.errors) rejectedReasons.push(e.reason);
    return { index: r.index, ok: false, ...(r.event_id ? { event_id: r.event_id } : {}), errors: r.errors };
  });
  // Counted once per family a request holds (most hold one), not once per event.
  const perFamily = new Map<string, number>();
  for (const e of valid) {
    const family = familyOf(e.event_type);
    perFamily.set(family, (perFamily.get(family) ?? 0) + 1);
  }
  return {
    accepted: valid.length,
    rejected: letters.length,
    results: JSON.stringify(answers),
    letters,
    rejectedReasons,
    perFamily: [...perFamily],
    topics: packedTopics(valid, opts),
  };
}

/**
 * Each topic's records of these events, grouped by key (per-view/per-job order): `batch-v1`
 * writes one record per key with that key's events, `event` one record per event.
 */
export function packedTopics(events: readonly ReeltimeEvent[], opts: PrepareOptions): PreparedTopic[] {
  const byTopic = new Map<string, Map<string, string[]>>();
  for (const e of events) {
    const { topic, key } = routeOf(e);
    let byKey = byTopic.get(topic);
    if (!byKey) {
      byKey = new Map();
      byTopic.set(topic, byKey);
    }
    const list = byKey.get(key);
    if (list) list.push(JSON.stringify(e));
    else byKey.set(key, [JSON.stringify(e)]);
  }
  return [...byTopic].map(([topic, byKey]) => ({
    topic,
    ...packEventRecords(byKey, opts.format, opts.headers, opts.maxMessageBytes),
  }));
}

function deadLetter(
  r: Exclude<EventResult, { ok: true }>,
  raw: unknown,
  ctx: RequestContext,
  stage: string,
): DeadLetterMessage {
  return {
    dead_letter_id: uuidv7(),
    stage,
    reason: r.errors[0]?.reason ?? "invalid",
    message: r.errors
      .map((e) => `${e.pointer || "/"}: ${e.message}`)
      .join("; ")
      .slice(0, 2000),
    app_id: ctx.appId,
    ...(r.event_id ? { event_id: r.event_id } : {}),
    ...(r.event_type ? { event_type: r.event_type } : {}),
    received_at: ctx.receivedAt,
    request: requestRecord(ctx),
    payload: boundedPayload(raw),
  };
}
