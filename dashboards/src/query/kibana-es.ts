import type { SavedObject } from "../kibana/saved-objects.ts";
import type { BucketPlan, EsRequest, MetricPlan } from "./plan.ts";
import { metricAgg } from "./plan.ts";

export interface KibanaContext {
  from: number;
  to: number;
  /** What `auto` date histograms use. */
  interval: string;
  /** Filters the dashboard adds (e.g. what the app control sets), as query DSL clauses. */
  filters: Record<string, unknown>[];
}

interface SearchSource {
  query?: { query: string; language: string };
  filter?: { query?: Record<string, unknown>; meta?: { disabled?: boolean } }[];
  indexRefName?: string;
}

interface Agg {
  id: string;
  enabled: boolean;
  type: string;
  schema: string;
  params: Record<string, unknown>;
}

function dataViewOf(obj: SavedObject, views: Map<string, SavedObject>, source: SearchSource) {
  const ref = obj.references.find((r) => r.name === source.indexRefName);
  const view = ref ? views.get(ref.id) : undefined;
  if (!view) throw new Error(`${obj.id}: its data view reference ${source.indexRefName} does not resolve`);
  return { index: String(view.attributes.title), timeField: String(view.attributes.timeFieldName) };
}

function baseFilter(source: SearchSource, timeField: string, ctx: KibanaContext): Record<string, unknown>[] {
  const q = source.query;
  if (q && q.language !== "lucene") throw new Error(`query language ${q.language}: the proof runs Lucene only`);
  return [
    {
      range: {
        [timeField]: {
          gte: new Date(ctx.from).toISOString(),
          lte: new Date(ctx.to).toISOString(),
          format: "strict_date_optional_time",
        },
      },
    },
    ...(q && q.query.trim() !== "" ? [{ query_string: { query: q.query, analyze_wildcard: true } }] : []),
    ...(source.filter ?? []).filter((f) => !f.meta?.disabled && f.query).map((f) => f.query!),
    ...ctx.filters,
  ];
}

/**
 * The _search request Kibana sends for a saved visualization (aggregation-based) or saved
 * search: the data view's time field bounded by the time range, the Lucene query and filters,
 * bucket aggs nested in the order they are listed, metrics innermost.
 */
export function kibanaEsRequest(obj: SavedObject, views: Map<string, SavedObject>, ctx: KibanaContext): EsRequest {
  const meta = obj.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string };
  const source = JSON.parse(meta.searchSourceJSON) as SearchSource;
  const { index, timeField } = dataViewOf(obj, views, source);
  const filter = baseFilter(source, timeField, ctx);
  if (obj.type === "search") {
    const sort = (obj.attributes.sort as [string, string][]).map(([f, o]) => ({ [f]: { order: o } }));
    return {
      index,
      body: { size: Number(obj.attributes.sampleSize ?? 500), query: { bool: { filter } }, sort },
      buckets: [],
      metrics: [],
    };
  }
  const state = JSON.parse(String(obj.attributes.visState)) as { aggs: Agg[] };
  const enabled = state.aggs.filter((a) => a.enabled);
  const metrics: MetricPlan[] = enabled
    .filter((a) => a.schema === "metric")
    .map((a) => ({
      id: a.id,
      type: a.type,
      ...(a.params.field ? { field: String(a.params.field) } : {}),
      ...(a.type === "percentiles" ? { percents: a.params.percents as number[] } : {}),
      ...(typeof a.params.json === "string"
        ? { missing: Number((JSON.parse(a.params.json) as { missing?: number }).missing) }
        : {}),
    }));
  const leaf: Record<string, unknown> = {};
  for (const m of metrics) {
    const agg = metricAgg(m);
    if (agg) leaf[m.id] = agg;
  }
  const bucketAggs = enabled.filter((a) => a.schema !== "metric");
  let aggs = leaf;
  const buckets: BucketPlan[] = [];
  for (const b of [...bucketAggs].reverse()) {
    const p = b.params;
    let body: Record<string, unknown>;
    if (b.type === "terms") {
      const orderAgg = p.orderAgg as { type: string } | undefined;
      if (p.orderBy !== "custom" || orderAgg?.type !== "count")
        throw new Error(`${obj.id}: only count ordering is proven`);
      body = { terms: { field: p.field, size: p.size, order: { _count: p.order } } };
    } else if (b.type === "histogram") {
      body = { histogram: { field: p.field, interval: p.interval, min_doc_count: p.min_doc_count ? 1 : 0 } };
    } else if (b.type === "date_histogram") {
      body = {
        date_histogram: {
          field: p.field,
          fixed_interval: p.interval === "auto" ? ctx.interval : p.interval,
          min_doc_count: p.min_doc_count ?? 1,
        },
      };
    } else throw new Error(`${obj.id}: bucket aggregation ${b.type} is not supported by the proof`);
    if (Object.keys(aggs).length > 0) body.aggs = aggs;
    aggs = { [b.id]: body };
    buckets.unshift({ id: b.id, type: b.type as BucketPlan["type"] });
  }
  return { index, body: { size: 0, track_total_hits: true, query: { bool: { filter } }, aggs }, buckets, metrics };
}
