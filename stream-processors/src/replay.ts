import type { Bus, DeadLetter, SearchStore } from "@reeltime/connectors";
import { routeOf, validateEvent } from "@reeltime/events";

export interface ReplayReport {
  found: number;
  republished: number;
  /** Still invalid under the current contract: left where they are, with the first problem. */
  stillInvalid: { dead_letter_id: string; problem: string }[];
  /** Not events (e.g. a body that was not a batch): cannot be replayed. */
  notEvents: number;
}

/**
 * Re-publishes chosen dead letters after a fix: each payload is validated against the current
 * contract and published to its topic; duplicates downstream are no-ops by event_id.
 */
export async function replay(
  deps: { bus: Bus; search: SearchStore },
  filter: { reason?: string; stage?: string; since?: Date; until?: Date },
  opts: { limit?: number; dryRun?: boolean } = {},
): Promise<ReplayReport> {
  const letters: DeadLetter[] = await deps.search.deadLetters(filter, opts.limit ?? 10_000);
  const report: ReplayReport = { found: letters.length, republished: 0, stillInvalid: [], notEvents: 0 };
  const byTopic = new Map<string, { key: string; value: Uint8Array }[]>();
  for (const l of letters) {
    const payload = l.payload;
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
      report.notEvents++;
      continue;
    }
    const r = validateEvent(payload);
    if (!r.ok) {
      const first = r.errors[0];
      report.stillInvalid.push({ dead_letter_id: l.dead_letter_id, problem: `${first?.pointer}: ${first?.message}` });
      continue;
    }
    const { topic, key } = routeOf(r.event);
    const list = byTopic.get(topic) ?? [];
    list.push({ key, value: new TextEncoder().encode(JSON.stringify(r.event)) });
    byTopic.set(topic, list);
    report.republished++;
  }
  if (!opts.dryRun) for (const [topic, messages] of byTopic) await deps.bus.publish(topic, messages);
  return report;
}
