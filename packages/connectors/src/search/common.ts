import { type EventType, type Family, familyOf, isEventType } from "@reeltime/events";
import type { DeadLetter, EventFilter, Rejected, StoredEvent } from "@reeltime/ports";
import { ReeltimeError } from "@reeltime/runtime";

/** The id of a catalogue video's record in a store: video ids are unique within an app only. */
export function videoDocId(r: { app_id: string; video_id: string }): string {
  return `${r.app_id}/${r.video_id}`;
}

/** The most documents one lastN/search/deadLetters call returns (Elasticsearch's default result window). */
export const MAX_RESULTS = 10_000;

/** Checks `n` for lastN/search/deadLetters: a whole number from 0 to MAX_RESULTS. */
export function checkLimit(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_RESULTS)
    throw new ReeltimeError(
      "REELTIME_ERR_SEARCH_LIMIT",
      `n must be an integer from 0 to ${MAX_RESULTS}, got ${n}: page with a narrower filter (from/to) instead`,
    );
  return n;
}

export interface Routed {
  event: StoredEvent;
  family: Family;
  receivedMs: number;
}

/**
 * What both adapters check before a document reaches the store: an id, a known type and a
 * server time. An event failing here is rejected with the same reasons everywhere.
 */
export function route(event: StoredEvent): Routed | Rejected {
  const raw = event as unknown as Record<string, unknown>;
  const id = typeof raw?.event_id === "string" ? raw.event_id : "";
  const reject = (reason: string): Rejected => ({ event_id: id, reason, status: 400, event });
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    return reject("not_an_object: an event is a JSON object");
  if (id === "") return reject("missing_event_id: event_id is required (it is the document id)");
  if (!isEventType(raw.event_type))
    return reject(`unknown_event_type: [${String(raw.event_type)}] is not an event type of the contract`);
  const receivedMs = typeof raw.received_at === "string" ? Date.parse(raw.received_at) : Number.NaN;
  if (Number.isNaN(receivedMs))
    return reject("missing_received_at: received_at must be an RFC 3339 timestamp set by the server");
  return { event, family: familyOf(raw.event_type as EventType), receivedMs };
}

export const isRejected = (r: Routed | Rejected): r is Rejected => "reason" in r;

/** The filter fields matched exactly, with the document path each one reads. */
export const TERM_FIELDS = {
  app_id: "app_id",
  view_id: "view_id",
  session_id: "session_id",
  viewer_id: "viewer_id",
  video_id: "video.id",
  job_id: "job.id",
} as const satisfies Record<keyof Omit<EventFilter, "event_types" | "from" | "to">, string>;

/**
 * Document paths searched by `search(text)`, with their Elasticsearch boosts. A path may hold a
 * list of strings (the labels a content analysis found: "dog" finds the step that saw a Dog).
 */
export const SEARCH_FIELDS = {
  "video.title": 3,
  "error.message": 2,
  "job.error.message": 2,
  "job.analysis.labels": 2,
  "page.url": 1,
} as const;

/** Checks a filter's dates so both adapters refuse the same mistakes. */
export function checkFilter(filter: EventFilter): EventFilter {
  for (const key of ["from", "to"] as const) {
    const d = filter[key];
    if (d !== undefined && (!(d instanceof Date) || Number.isNaN(d.getTime())))
      throw new ReeltimeError("REELTIME_ERR_SEARCH_FILTER", `filter.${key} must be a valid Date`);
  }
  for (const key of Object.keys(TERM_FIELDS) as (keyof typeof TERM_FIELDS)[]) {
    const v = filter[key];
    if (v !== undefined && typeof v !== "string")
      throw new ReeltimeError("REELTIME_ERR_SEARCH_FILTER", `filter.${key} must be a string`);
  }
  return filter;
}

/** Checks dead letters before they are written: an id and a time are required. */
export function checkDeadLetter(letter: DeadLetter): number {
  const ms = Date.parse(letter.received_at);
  if (typeof letter.dead_letter_id !== "string" || letter.dead_letter_id === "" || Number.isNaN(ms))
    throw new ReeltimeError(
      "REELTIME_ERR_SEARCH_DEAD_LETTER",
      "a dead letter needs a dead_letter_id and an RFC 3339 received_at",
    );
  return ms;
}
