import { DeadLetterRecord } from "../dead-letter.ts";
import { RECORDS } from "../records.ts";
import { schemasOfFamily } from "../registry.ts";
import { FAMILIES, type Family } from "../topics.ts";
import { type Field, type FieldKind, leafFields, mergedFields } from "./fields.ts";

type Mapping = Record<string, unknown>;

const LEAF: Record<FieldKind, Mapping> = {
  keyword: { type: "keyword", ignore_above: 1024 },
  text: { type: "text", fields: { keyword: { type: "keyword", ignore_above: 1024 } } },
  timestamp: { type: "date" },
  integer: { type: "long" },
  number: { type: "double" },
  boolean: { type: "boolean" },
  json: { type: "flattened" },
};

function properties(fields: Field[]): Mapping {
  const root: Mapping = {};
  for (const f of fields) {
    if (f.private) continue; // never in search: withoutPrivateFields strips it before indexing
    let node = root;
    for (const part of f.path.slice(0, -1)) {
      node[part] ??= { properties: {} };
      node = (node[part] as { properties: Mapping }).properties;
    }
    node[f.path.at(-1)!] = LEAF[f.kind];
  }
  return root;
}

/** ECS names as aliases onto the contract's snake_case fields, so ECS-minded queries work too. */
const ECS_ALIASES: Mapping = {
  event: { properties: { id: { type: "alias", path: "event_id" }, action: { type: "alias", path: "event_type" } } },
  url: { properties: { full: { type: "alias", path: "page.url" } } },
};

export const ILM_POLICY_NAME = "reeltime-events";
export const eventsDataStream = (family: Family): string => `reeltime-events-${family}`;
export const DEAD_LETTER_DATA_STREAM = "reeltime-dead-letter";
export const RECORD_INDEX = { views: "reeltime-views", jobs: "reeltime-jobs", videos: "reeltime-videos" } as const;

/** Rollover daily or at 25 GB per primary shard; delete after 30 days. */
export function ilmPolicy(): Mapping {
  return {
    policy: {
      phases: {
        hot: { actions: { rollover: { max_age: "1d", max_primary_shard_size: "25gb" } } },
        delete: { min_age: "30d", actions: { delete: {} } },
      },
      _meta: { managed_by: "reeltime", generated: true },
    },
  };
}

const settings = { number_of_replicas: 0, refresh_interval: "1s", "mapping.total_fields.limit": 2000 };

/**
 * Segments of event indices are kept sorted newest first, the order of every last-N read:
 * Elasticsearch then stops after the first n matches of each segment instead of sorting all.
 */
const NEWEST_FIRST_INDEX_SORT = {
  "sort.field": ["received_at", "event_id"],
  "sort.order": ["desc", "desc"],
};

/** One data-stream template per event family: `_id` = event_id, `@timestamp` = received_at. */
export function eventsTemplate(family: Family): Mapping {
  const fields = mergedFields(schemasOfFamily(family));
  return {
    index_patterns: [`${eventsDataStream(family)}*`],
    data_stream: {},
    priority: 200,
    template: {
      settings: { ...settings, ...NEWEST_FIRST_INDEX_SORT, "index.lifecycle.name": ILM_POLICY_NAME },
      mappings: {
        dynamic: "strict",
        properties: { "@timestamp": { type: "date" }, ...properties(fields), ...ECS_ALIASES },
      },
    },
    _meta: { managed_by: "reeltime", family, generated: true },
  };
}

/**
 * Dead letters, derived from DeadLetterRecord: reason, stage and ids are keywords, the message is
 * searchable, the original payload and request are kept verbatim but not indexed (`enabled: false`:
 * a hostile payload cannot add fields or terms).
 */
export function deadLetterTemplate(): Mapping {
  const fields = leafFields(DeadLetterRecord).filter((f) => f.path[0] !== "received_at");
  const props = properties(fields.filter((f) => f.kind !== "json"));
  for (const f of fields) if (f.kind === "json") props[f.path[0]!] = { type: "object", enabled: false };
  return {
    index_patterns: [`${DEAD_LETTER_DATA_STREAM}*`],
    data_stream: {},
    priority: 200,
    template: {
      settings: { ...settings, "index.lifecycle.name": ILM_POLICY_NAME },
      mappings: { dynamic: "strict", properties: { "@timestamp": { type: "date" }, ...props } },
    },
    _meta: { managed_by: "reeltime", generated: true },
  };
}

/** Plain indices for the records the processors keep up to date (upserted by id). */
export function recordTemplate(name: keyof typeof RECORDS): Mapping {
  return {
    index_patterns: [RECORD_INDEX[name]],
    priority: 200,
    template: {
      settings,
      mappings: { dynamic: "strict", properties: properties(mergedFields([RECORDS[name]])) },
    },
    _meta: { managed_by: "reeltime", generated: true },
  };
}

/** Every index template by name. */
export function indexTemplates(): Record<string, Mapping> {
  const out: Record<string, Mapping> = {};
  for (const f of FAMILIES) out[eventsDataStream(f)] = eventsTemplate(f);
  out[DEAD_LETTER_DATA_STREAM] = deadLetterTemplate();
  out[RECORD_INDEX.views] = recordTemplate("views");
  out[RECORD_INDEX.jobs] = recordTemplate("jobs");
  out[RECORD_INDEX.videos] = recordTemplate("videos");
  return out;
}
