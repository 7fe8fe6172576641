/** What an Elasticsearch panel query asks, in a form both Grafana's and Kibana's models reduce to. */
export interface MetricPlan {
  id: string;
  type: string;
  field?: string;
  percents?: number[];
  missing?: number;
}

export interface BucketPlan {
  id: string;
  type: "terms" | "date_histogram" | "histogram" | "filters";
}

export interface EsRequest {
  index: string;
  body: Record<string, unknown>;
  /** Buckets outermost first; metrics at the innermost level. Absent for document lists. */
  buckets: BucketPlan[];
  metrics: MetricPlan[];
}

/** One line of a panel's result: the bucket keys from outermost in, the document count, each metric. */
export interface Row {
  keys: (string | number)[];
  count: number;
  values: Record<string, number | null>;
}

/** Metric names in rows: count, avg(field), p95(field), unique(field), ... */
export function metricNames(m: MetricPlan): string[] {
  if (m.type === "count") return ["count"];
  if (m.type === "percentiles") return (m.percents ?? []).map((p) => `p${p}(${m.field})`);
  if (m.type === "cardinality") return [`unique(${m.field})`];
  return [`${m.type}(${m.field})`];
}

/** The Elasticsearch aggregation body of one metric (count needs none). */
export function metricAgg(m: MetricPlan): Record<string, unknown> | undefined {
  if (m.type === "count") return undefined;
  if (m.type === "percentiles") return { percentiles: { field: m.field, percents: m.percents } };
  return { [m.type]: { field: m.field, ...(m.missing === undefined ? {} : { missing: m.missing }) } };
}

type Agg = Record<string, unknown> & { doc_count?: number };
type BucketList = { buckets: Agg[] | Record<string, Agg> };

function metricValues(node: Agg, metrics: MetricPlan[], count: number): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const m of metrics) {
    if (m.type === "count") {
      out.count = count;
      continue;
    }
    const v = node[m.id] as { value?: number | null; values?: Record<string, number | null> } | undefined;
    if (m.type === "percentiles")
      for (const p of m.percents ?? []) {
        const raw = v?.values?.[p.toFixed(1)] ?? v?.values?.[String(p)];
        out[`p${p}(${m.field})`] = raw ?? null;
      }
    else out[metricNames(m)[0]!] = v?.value ?? null;
  }
  return out;
}

/** Flattens an aggregation response into rows, one per innermost bucket (filters "all" adds no key). */
export function rowsOf(req: EsRequest, response: { aggregations?: Agg; hits?: { total?: { value: number } } }): Row[] {
  const rows: Row[] = [];
  const visit = (node: Agg, depth: number, keys: (string | number)[], count: number) => {
    if (depth === req.buckets.length) {
      rows.push({ keys, count, values: metricValues(node, req.metrics, count) });
      return;
    }
    const b = req.buckets[depth]!;
    const list = (node[b.id] as BucketList | undefined)?.buckets ?? [];
    const entries: [string | number | undefined, Agg][] = Array.isArray(list)
      ? list.map((x) => [
          b.type === "date_histogram" || b.type === "histogram"
            ? (x.key as number)
            : ((x.key_as_string as string | undefined) ?? (x.key as string)),
          x,
        ])
      : Object.entries(list).map(([k, x]) => [k === "all" ? undefined : k, x]);
    for (const [key, child] of entries)
      visit(child, depth + 1, key === undefined ? keys : [...keys, key], child.doc_count ?? 0);
  };
  visit(response.aggregations ?? {}, 0, [], response.hits?.total?.value ?? 0);
  return rows;
}
