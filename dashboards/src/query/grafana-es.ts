import type { BucketPlan, EsRequest, MetricPlan } from "./plan.ts";
import { metricAgg } from "./plan.ts";

/** A provisioned Elasticsearch datasource: its index and time field. */
export interface Datasource {
  index: string;
  timeField: string;
}

export interface QueryContext {
  from: number;
  to: number;
  /** What `auto` date histograms use (Grafana derives it from the range and the panel width). */
  interval: string;
  /** Dashboard variables: a list of values, or "all" for the variable's All value. */
  vars: Record<string, string[] | "all">;
}

interface GrafanaTarget {
  query?: string;
  timeField?: string;
  datasource: { uid: string };
  metrics: { id: string; type: string; field?: string; settings?: Record<string, unknown> }[];
  bucketAggs: { id: string; type: string; field?: string; settings?: Record<string, unknown> }[];
}

const LUCENE_SPECIAL = /[+\-=&|><!(){}[\]^"~*?:\\/\s]/g;

/** Grafana's Lucene formatting of a variable: one escaped value, ("a" OR "b") for several, the All value as is. */
export function interpolateLucene(
  query: string,
  vars: QueryContext["vars"],
  allValues: Record<string, string>,
): string {
  return query.replace(/\$(\w+)/g, (whole, name: string) => {
    const v = vars[name];
    if (v === undefined) return whole;
    if (v === "all") return allValues[name] ?? "*";
    if (v.length === 1) return v[0]!.replace(LUCENE_SPECIAL, "\\$&");
    return `(${v.map((x) => `"${x.replace(/["\\]/g, "\\$&")}"`).join(" OR ")})`;
  });
}

/**
 * The _search request Grafana's Elasticsearch datasource sends for a target: the time range on
 * the target's time field, the Lucene query, bucket aggregations nested in order with the
 * metrics innermost; raw_data becomes a newest-first document list.
 */
export function grafanaEsRequest(
  target: GrafanaTarget,
  datasources: Map<string, Datasource>,
  ctx: QueryContext,
  allValues: Record<string, string> = {},
): EsRequest {
  const ds = datasources.get(target.datasource.uid);
  if (!ds) throw new Error(`no provisioned datasource with uid ${target.datasource.uid}`);
  const timeField = target.timeField ?? ds.timeField;
  const query = interpolateLucene(target.query || "*", ctx.vars, allValues);
  const filter = [
    { range: { [timeField]: { gte: ctx.from, lte: ctx.to, format: "epoch_millis" } } },
    { query_string: { analyze_wildcard: true, query } },
  ];
  const raw = target.metrics.find((m) => m.type === "raw_data" || m.type === "raw_document");
  if (raw)
    return {
      index: ds.index,
      body: {
        size: Number(raw.settings?.size ?? 500),
        query: { bool: { filter } },
        sort: [{ [timeField]: { order: "desc", unmapped_type: "boolean" } }, { _doc: { order: "desc" } }],
      },
      buckets: [],
      metrics: [],
    };
  const metrics: MetricPlan[] = target.metrics.map((m) => ({
    id: m.id,
    type: m.type,
    ...(m.field ? { field: m.field } : {}),
    ...(m.type === "percentiles"
      ? { percents: ((m.settings?.percents as string[] | undefined) ?? []).map(Number) }
      : {}),
    ...(m.settings?.missing !== undefined ? { missing: Number(m.settings.missing) } : {}),
  }));
  const leaf: Record<string, unknown> = {};
  for (const m of metrics) {
    const agg = metricAgg(m);
    if (agg) leaf[m.id] = agg;
  }
  let aggs = leaf;
  const buckets: BucketPlan[] = [];
  for (const b of [...target.bucketAggs].reverse()) {
    const s = b.settings ?? {};
    let body: Record<string, unknown>;
    if (b.type === "terms")
      body = {
        terms: {
          field: b.field,
          size: Number(s.size ?? 10),
          order: { [String(s.orderBy ?? "_count")]: s.order ?? "desc" },
          min_doc_count: Number(s.min_doc_count ?? 1),
        },
      };
    else if (b.type === "histogram")
      body = {
        histogram: { field: b.field, interval: Number(s.interval), min_doc_count: Number(s.min_doc_count ?? 0) },
      };
    else if (b.type === "date_histogram") {
      const interval = s.interval === "auto" || s.interval === undefined ? ctx.interval : String(s.interval);
      body = {
        date_histogram: {
          field: b.field ?? timeField,
          fixed_interval: interval,
          min_doc_count: Number(s.min_doc_count ?? 0),
          extended_bounds: { min: ctx.from, max: ctx.to },
          format: "epoch_millis",
        },
      };
    } else if (b.type === "filters") {
      const list = (s.filters as { query: string; label: string }[]) ?? [];
      body = {
        filters: {
          filters: Object.fromEntries(
            list.map((f) => [
              f.label || f.query,
              { query_string: { query: interpolateLucene(f.query, ctx.vars, allValues), analyze_wildcard: true } },
            ]),
          ),
        },
      };
    } else throw new Error(`bucket aggregation ${b.type} is not supported by the proof`);
    if (Object.keys(aggs).length > 0) body.aggs = aggs;
    aggs = { [b.id]: body };
    buckets.unshift({ id: b.id, type: b.type as BucketPlan["type"] });
  }
  return { index: ds.index, body: { size: 0, query: { bool: { filter } }, aggs }, buckets, metrics };
}
