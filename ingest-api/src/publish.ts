import {
  type Bus,
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
export async function publishEvents(
  bus: Bus,
  events: ReeltimeEvent[],
  timeoutMs: number,
  format: RecordFormat = "batch-v1",
): Promise<void> {
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
  await withBusTimeout(
    Promise.all(
      [...byTopic].map(([topic, byKey]) =>
        bus.publish(topic, encodeEventRecords(byKey, format, shared, bus.maxMessageBytes)),
      ),
    ),
    timeoutMs,
  );
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
