import {
  DEAD_LETTER_DATA_STREAM,
  FAMILIES,
  type FieldKind,
  indexTemplates,
  mergedFields,
  RECORDS,
  type RecordName,
  schemasOfFamily,
} from "@reeltime/events";

/**
 * The same strict mapping Elasticsearch enforces from the generated templates, so a document
 * the real store would refuse is refused here too, with a reason of the same shape.
 */
interface Mapping {
  leaves: Map<string, FieldKind>;
  objects: Set<string>;
}

const ES_TYPE: Record<FieldKind, string> = {
  keyword: "keyword",
  text: "text",
  timestamp: "date",
  integer: "long",
  number: "double",
  boolean: "boolean",
  json: "flattened",
};

function build(schemas: Parameters<typeof mergedFields>[0]): Mapping {
  const leaves = new Map<string, FieldKind>();
  const objects = new Set<string>();
  for (const f of mergedFields(schemas)) {
    leaves.set(f.path.join("."), f.kind);
    for (let i = 1; i < f.path.length; i++) objects.add(f.path.slice(0, i).join("."));
  }
  return { leaves, objects };
}

/** Index name -> mapping: one per event family, plus the `views` and `jobs` records. */
const MAPPINGS = new Map<string, Mapping>([
  ...FAMILIES.map((f): [string, Mapping] => [f, build(schemasOfFamily(f))]),
  ...(Object.keys(RECORDS) as RecordName[]).map((r): [string, Mapping] => [r, build([RECORDS[r]])]),
]);

const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function leafOk(kind: FieldKind, v: unknown): boolean {
  switch (kind) {
    case "json":
      return true;
    case "keyword":
    case "text":
      return typeof v === "string" || typeof v === "number" || typeof v === "boolean";
    case "integer": {
      const n = typeof v === "number" ? v : typeof v === "string" && NUMERIC.test(v) ? Number(v) : Number.NaN;
      return Number.isFinite(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER;
    }
    case "number":
      return (typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && NUMERIC.test(v));
    case "boolean":
      return typeof v === "boolean" || v === "true" || v === "false" || v === "";
    case "timestamp":
      return (
        (typeof v === "number" && Number.isInteger(v)) ||
        (typeof v === "string" && DATE.test(v) && !Number.isNaN(Date.parse(v)))
      );
  }
}

const preview = (v: unknown): string => JSON.stringify(v)?.slice(0, 40) ?? String(v);

function check(m: Mapping, path: string, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const kind = m.leaves.get(path);
    if (kind === "json") return undefined;
    for (const item of value) {
      const problem = check(m, path, item);
      if (problem) return problem;
    }
    return undefined;
  }
  const kind = m.leaves.get(path);
  if (kind !== undefined) {
    if (leafOk(kind, value)) return undefined;
    return `document_parsing_exception: failed to parse field [${path}] of type [${ES_TYPE[kind]}]. Preview of field's value: ${preview(value)}`;
  }
  if (path !== "" && !m.objects.has(path)) {
    const at = path.lastIndexOf(".");
    const within = at < 0 ? "_doc" : path.slice(0, at);
    return `strict_dynamic_mapping_exception: mapping set to strict, dynamic introduction of [${path.slice(at + 1)}] within [${within}] is not allowed`;
  }
  if (typeof value !== "object")
    return `document_parsing_exception: object mapping for [${path}] tried to parse field [${path}] as object, but found a concrete value`;
  for (const [k, v] of Object.entries(value)) {
    const problem = check(m, path === "" ? k : `${path}.${k}`, v);
    if (problem) return problem;
  }
  return undefined;
}

/** Why the mapping of `index` (an event family, "views" or "jobs") refuses `doc`, or undefined when it fits. */
export function mappingProblem(index: string, doc: unknown): string | undefined {
  const m = MAPPINGS.get(index);
  if (!m) return `index_not_found_exception: no such index [${index}]`;
  return check(m, "", doc);
}

/** Top-level fields of the dead-letter template; `received_at` is stored there as `@timestamp`. */
const DEAD_LETTER_FIELDS = new Set(
  Object.keys(
    (indexTemplates()[DEAD_LETTER_DATA_STREAM] as { template: { mappings: { properties: object } } }).template.mappings
      .properties,
  )
    .filter((k) => k !== "@timestamp")
    .concat("received_at"),
);

/** Why the dead-letter mapping refuses `letter` (an unknown field), or undefined. */
export function deadLetterProblem(letter: object): string | undefined {
  const unknown = Object.keys(letter).find((k) => !DEAD_LETTER_FIELDS.has(k));
  return unknown === undefined
    ? undefined
    : `strict_dynamic_mapping_exception: mapping set to strict, dynamic introduction of [${unknown}] within [_doc] is not allowed`;
}
