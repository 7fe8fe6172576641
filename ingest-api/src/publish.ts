import {
  type Bus,
  type DeadLetter,
  publishDeadLetters as publishLetters,
  type RecordFormat,
  unpackEventRecords,
  withBusTimeout,
} from "@reeltime/connectors";
import { type ReeltimeEvent, SCHEMA_VERSION } from "@reeltime/events";
import { injectTraceHeaders } from "@reeltime/runtime";
import { type PreparedTopic, packedTopics } from "./prepare.ts";

/** The headers of a request's records: schema version, content type and the request's trace context. */
export const recordHeaders = (): Record<string, string> =>
  injectTraceHeaders({ schema_version: SCHEMA_VERSION, "content-type": "application/json" });

/**
 * Groups events by topic and key (per-view/per-job order) and publishes them; resolves once all
 * are acknowledged. `batch-v1` (the default) writes one record per key with that key's events,
 * `event` one record per event, the format consumers older than batch records read
 * (REELTIME_BUS_RECORD_FORMAT).
 */
export function publishEvents(
  bus: Bus,
  events: ReeltimeEvent[],
  timeoutMs: number,
  format: RecordFormat = "batch-v1",
): Promise<void> {
  let topics: PreparedTopic[];
  try {
    topics = packedTopics(events, { format, maxMessageBytes: bus.maxMessageBytes, headers: recordHeaders() });
  } catch (err) {
    return Promise.reject(err);
  }
  return publishPrepared(bus, topics, timeoutMs);
}

/** Publishes prepared records (prepare.ts); resolves once the bus acknowledged all of them. */
export async function publishPrepared(bus: Bus, topics: PreparedTopic[], timeoutMs: number): Promise<void> {
  await withBusTimeout(Promise.all(topics.map((t) => bus.publish(t.topic, unpackEventRecords(t)))), timeoutMs);
}

/**
 * What the dead-letter stream holds for each refused or failed event: the one dead-letter
 * record of the contract (DeadLetterRecord in `@reeltime/events`; ingest letters leave `topic` unset).
 */
export type DeadLetterMessage = DeadLetter;

/** Dead letters of a request: the one publisher (@reeltime/connectors), with ingest's timeout and bus headers. */
export function publishDeadLetters(bus: Bus, letters: DeadLetterMessage[], timeoutMs: number): Promise<void> {
  return publishLetters(bus, letters, { timeoutMs, headers: recordHeaders() });
}
