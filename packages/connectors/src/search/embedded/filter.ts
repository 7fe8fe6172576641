import type { DeadLetter, DeadLetterFilter, EventFilter, StoredEvent } from "@reeltime/ports";
import { TERM_FIELDS } from "../common.ts";

function at(doc: unknown, path: string): unknown {
  let node = doc;
  for (const part of path.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** A predicate with the semantics of the Elasticsearch term/terms/range queries the filter maps to. */
export function eventMatcher(filter: EventFilter): (event: StoredEvent, receivedMs: number) => boolean {
  const terms = (Object.keys(TERM_FIELDS) as (keyof typeof TERM_FIELDS)[])
    .filter((k) => filter[k] !== undefined)
    .map((k) => [TERM_FIELDS[k], filter[k]] as const);
  const types = filter.event_types ? new Set(filter.event_types) : undefined;
  const from = filter.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  const to = filter.to?.getTime() ?? Number.POSITIVE_INFINITY;
  return (event, ms) => {
    if (ms < from || ms >= to) return false;
    if (types && !types.has(event.event_type)) return false;
    for (const [path, value] of terms) if (at(event, path) !== value) return false;
    return true;
  };
}

export function deadLetterMatcher(filter: DeadLetterFilter): (letter: DeadLetter, ms: number) => boolean {
  const since = filter.since?.getTime() ?? Number.NEGATIVE_INFINITY;
  const until = filter.until?.getTime() ?? Number.POSITIVE_INFINITY;
  return (l, ms) =>
    ms >= since &&
    ms < until &&
    (filter.reason === undefined || l.reason === filter.reason) &&
    (filter.stage === undefined || l.stage === filter.stage);
}
