import { SEARCH_FIELDS, TERM_FIELDS } from "@reeltime/connectors/adapter";
import type { DeadLetterFilter, EventFilter } from "@reeltime/ports";

type Query = Record<string, unknown>;

/** The filter as term/terms/range clauses: callers never pass query DSL, values are matched exactly. */
export function filterClauses(filter: EventFilter): Query[] {
  const out: Query[] = [];
  for (const [key, path] of Object.entries(TERM_FIELDS) as [keyof typeof TERM_FIELDS, string][]) {
    const value = filter[key];
    if (value !== undefined) out.push({ term: { [path]: value } });
  }
  if (filter.event_types !== undefined) out.push({ terms: { event_type: filter.event_types } });
  if (filter.from !== undefined || filter.to !== undefined)
    out.push({
      range: {
        received_at: {
          ...(filter.from ? { gte: filter.from.toISOString() } : {}),
          ...(filter.to ? { lt: filter.to.toISOString() } : {}),
          format: "strict_date_optional_time",
        },
      },
    });
  return out;
}

/** Newest first by received_at, ties by event_id (both directions match the embedded store). */
export const NEWEST_FIRST = [
  { received_at: { order: "desc", unmapped_type: "date" } },
  { event_id: { order: "desc", unmapped_type: "keyword" } },
];

/** Typo-tolerant match (fuzziness AUTO) over titles, error messages, job errors and page URLs. */
export function textQuery(text: string, filter: EventFilter): Query {
  return {
    bool: {
      must: [
        {
          multi_match: {
            query: text,
            fields: Object.entries(SEARCH_FIELDS).map(([f, boost]) => `${f}^${boost}`),
            fuzziness: "AUTO",
            type: "best_fields",
          },
        },
      ],
      filter: filterClauses(filter),
    },
  };
}

export function deadLetterQuery(filter: DeadLetterFilter): Query {
  const clauses: Query[] = [];
  if (filter.reason !== undefined) clauses.push({ term: { reason: filter.reason } });
  if (filter.stage !== undefined) clauses.push({ term: { stage: filter.stage } });
  if (filter.since !== undefined || filter.until !== undefined)
    clauses.push({
      range: {
        "@timestamp": {
          ...(filter.since ? { gte: filter.since.toISOString() } : {}),
          ...(filter.until ? { lt: filter.until.toISOString() } : {}),
        },
      },
    });
  return { bool: { filter: clauses } };
}
