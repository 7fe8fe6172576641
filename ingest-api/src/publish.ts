import {
  type Bus,
  type BusMessage,
  type DeadLetter,
  publishDeadLetters as publishLetters,
  withBusTimeout,
} from "@reeltime/connectors";
import { type ReeltimeEvent, routeOf, SCHEMA_VERSION } from "@reeltime/events";
import { injectTraceHeaders } from "@reeltime/runtime";

const encoder = new TextEncoder();

const headers = (): Record<string, string> =>
  injectTraceHeaders({ schema_version: SCHEMA_VERSION, "content-type": "application/json" });

/** Groups events by topic (keyed for per-view/per-job order) and publishes them; resolves once all are acknowledged. */
export async function publishEvents(bus: Bus, events: ReeltimeEvent[], timeoutMs: number): Promise<void> {
  const byTopic = new Map<string, BusMessage[]>();
  // One request, one trace context: every event of it carries the same headers.
  const shared = headers();
  for (const e of events) {
    const { topic, key } = routeOf(e);
    const list = byTopic.get(topic) ?? [];
    byTopic.set(topic, list);
    list.push({ key, value: encoder.encode(JSON.stringify(e)), headers: shared });
  }
  await withBusTimeout(Promise.all([...byTopic].map(([topic, messages]) => bus.publish(topic, messages))), timeoutMs);
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
