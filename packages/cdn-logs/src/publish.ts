import { type Bus, type DeadLetter, encodeEventRecords, publishDeadLetters } from "@reeltime/connectors";
import { routeOf, SCHEMA_VERSION } from "@reeltime/events";
import { stableEventId } from "@reeltime/runtime";
import type { CdnEvent, LineProblem } from "./to-event.ts";

/** Publishes cdn events, one batch record per key (batch-v1, as ingest writes); resolves once acknowledged. */
export async function publishCdnEvents(bus: Bus, events: readonly CdnEvent[]): Promise<void> {
  if (events.length === 0) return;
  const byTopic = new Map<string, Map<string, string[]>>();
  for (const e of events) {
    const { topic, key } = routeOf(e);
    const byKey = byTopic.get(topic) ?? new Map<string, string[]>();
    byTopic.set(topic, byKey);
    const list = byKey.get(key);
    if (list) list.push(JSON.stringify(e));
    else byKey.set(key, [JSON.stringify(e)]);
  }
  const headers = { schema_version: SCHEMA_VERSION, "content-type": "application/json" };
  await Promise.all(
    [...byTopic].map(([topic, byKey]) =>
      bus.publish(topic, encodeEventRecords(byKey, "batch-v1", headers, bus.maxMessageBytes)),
    ),
  );
}

/**
 * The dead letter of a log line that is not an event: its reason, a message naming the line,
 * and the line itself with where it came from. Its id is made from `seed` (file identity and
 * line, or stream position), so importing a file again letters each bad line under the same id.
 */
export function lineLetter(
  stage: "cdn-import" | "cdn-realtime",
  problem: LineProblem,
  where: { seed: string; logFile?: string; line?: number; topic?: string; text: string },
): DeadLetter {
  return {
    dead_letter_id: stableEventId(`dead-letter\n${where.seed}`, new Date(0)),
    stage,
    reason: problem.reason,
    message: problem.message.slice(0, 2000),
    ...(where.topic ? { topic: where.topic } : {}),
    payload: {
      ...(where.logFile ? { log_file: where.logFile } : {}),
      ...(where.line !== undefined ? { line: where.line } : {}),
      text: where.text.slice(0, 8192),
    },
    received_at: new Date().toISOString(),
  };
}

export { publishDeadLetters };
