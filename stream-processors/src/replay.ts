import type { Bus, DeadLetter, SearchStore } from "@reeltime/connectors";
import {
  contextFromRecord,
  enrich,
  type RequestContext,
  routeOf,
  validateEvent,
  withoutServerFields,
} from "@reeltime/events";

export interface ReplayReport {
  found: number;
  republished: number;
  /** Still invalid under the current contract: left where they are, with the first problem. */
  stillInvalid: { dead_letter_id: string; problem: string }[];
  /** Not events (e.g. a body that was not a batch): cannot be replayed. */
  notEvents: number;
  /** Letters that record no app: no app's events may be published from them. */
  noApp: string[];
}

type Obj = Record<string, unknown>;

/**
 * The server's stamps for a letter's payload. An ingest letter (no topic) holds the client's
 * body: its app, received_at and client fields come only from what ingest recorded beside it.
 * A processor's letter holds an event read from the bus, stamped by ingest then: its
 * received_at and client IP/country are kept, under the letter's app.
 */
function contextOf(l: DeadLetter, payload: Obj, appId: string): RequestContext {
  if (l.topic === undefined) return contextFromRecord(appId, l.received_at, l.request);
  const client = (payload.client ?? {}) as Obj;
  const receivedAt = typeof payload.received_at === "string" ? payload.received_at : l.received_at;
  return contextFromRecord(appId, receivedAt, { ip: client.ip, country: client.country });
}

/**
 * Re-publishes chosen dead letters after a fix. Each payload loses the fields only the server
 * sets, is validated against the current contract, stamped by the same `enrich` ingest uses
 * (app from the letter, never from the payload) and published to its topic; duplicates
 * downstream are no-ops by event_id.
 */
export async function replay(
  deps: { bus: Bus; search: SearchStore },
  filter: { reason?: string; stage?: string; since?: Date; until?: Date },
  opts: { limit?: number; dryRun?: boolean } = {},
): Promise<ReplayReport> {
  const letters: DeadLetter[] = await deps.search.deadLetters(filter, opts.limit ?? 10_000);
  const report: ReplayReport = { found: letters.length, republished: 0, stillInvalid: [], notEvents: 0, noApp: [] };
  const byTopic = new Map<string, { key: string; value: Uint8Array }[]>();
  for (const l of letters) {
    const payload = l.payload;
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
      report.notEvents++;
      continue;
    }
    if (typeof l.app_id !== "string" || l.app_id === "") {
      report.noApp.push(l.dead_letter_id);
      continue;
    }
    const r = validateEvent(withoutServerFields(payload));
    if (!r.ok) {
      const first = r.errors[0];
      report.stillInvalid.push({ dead_letter_id: l.dead_letter_id, problem: `${first?.pointer}: ${first?.message}` });
      continue;
    }
    const event = enrich(r.event as unknown as Obj, contextOf(l, payload as Obj, l.app_id));
    const { topic, key } = routeOf(r.event);
    const list = byTopic.get(topic) ?? [];
    list.push({ key, value: new TextEncoder().encode(JSON.stringify(event)) });
    byTopic.set(topic, list);
    report.republished++;
  }
  if (!opts.dryRun) for (const [topic, messages] of byTopic) await deps.bus.publish(topic, messages);
  return report;
}
