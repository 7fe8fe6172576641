import {
  type Bus,
  type BusMessage,
  type DeadLetter,
  encodeEventRecords,
  publishDeadLetters as publishLetters,
  type RecordFormat,
  withBusTimeout,
} from "@reeltime/connectors";
import { type ReeltimeEvent, routeOf, SCHEMA_VERSION } from "@reeltime/events";
import { injectTraceHeaders } from "@reeltime/runtime";

const headers = (): Record<string, string> =>
  injectTraceHeaders({ schema_version: SCHEMA_VERSION, "content-type": "application/json" });

/**
 * Groups events by topic and key (per-view/per-job order) and publishes them; resolves once all
 * are acknowledged. `batch-v1` (the default) writes one record per key with that key's events
 * (encodeEventRecords in @reeltime/connectors), `event` one record per event, the format
 * consumers older than batch records read (REELTIME_BUS_RECORD_FORMAT).
 */
export function publishEvents(
  bus: Bus,
  events: ReeltimeEvent[],
  timeoutMs: number,
  format: RecordFormat = "batch-v1",
): Promise<void> {
  // The records are made before anything is awaited, and only they wait for the acks: the
  // events and their JSON texts can go with the young generation's next scavenge.
  let records: { topic: string; records: BusMessage[] }[];
  try {
    records = eventRecords(events, format, bus.maxMessageBytes);
  } catch (err) {
    return Promise.reject(err);
  }
  return publishRecords(bus, records, timeoutMs);
}

/** Each topic's records of these events, grouped by key (see publishEvents). */
function eventRecords(events: ReeltimeEvent[], format: RecordFormat, maxMessageBytes: number) {
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
  // One request, one trace context: every record of it carries the same headers.
  const shared = headers();
  return [...byTopic].map(([topic, byKey]) => ({
    topic,
    records: encodeEventRecords(byKey, format, shared, maxMessageBytes),
  }));
}

async function publishRecords(
  bus: Bus,
  topics: { topic: string; records: BusMessage[] }[],
  timeoutMs: number,
): Promise<void> {
  await withBusTimeout(Promise.all(topics.map(({ topic, records }) => bus.publish(topic, records))), timeoutMs);
}

/**
 * What the dead-letter stream holds for each refused or failed event: the one dead-letter
 * record of the contract (DeadLetterRecord in `@reeltime/events`; ingest letters leave `topic` unset).
 */
export type DeadLetterMessage = DeadLetter;

/** Dead letters of a request: the one publisher (@reeltime/connectors), with ingest's timeout and bus headers. */
export function publishDeadLetters(bus: Bus, letters: DeadLetterMessage[], timeoutMs: number): Promise<void> {
  return publishLetters(bus, letters, { timeoutMs, headers: headers() });
}
