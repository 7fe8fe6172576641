import type { Bucket, EsPanel, Metric } from "../spec/types.ts";

type Json = Record<string, unknown>;

/** Kibana agg configs (legacy aggregation-based visualizations) for a panel's metrics and buckets. */
export function kibanaAggs(p: EsPanel, timeField: string, booleans: Set<string>): Json[] {
  // Kibana's avg/sum only accept numeric fields: a share of a boolean becomes a split by its value.
  const boolSplits = p.metrics.flatMap((m) => (m.type !== "count" && booleans.has(m.field) ? [m.field] : []));
  const metrics: Metric[] = boolSplits.length > 0 ? [{ type: "count" }] : p.metrics;
  const buckets: Bucket[] = [
    ...p.buckets,
    ...[...new Set(boolSplits)].map((f): Bucket => ({ type: "terms", field: f, size: 2 })),
  ];
  const aggs: Json[] = metrics.map((m, i) => ({
    id: String(i + 1),
    enabled: true,
    type: m.type,
    schema: "metric",
    params:
      m.type === "count"
        ? {}
        : m.type === "percentiles"
          ? { field: m.field, percents: m.percents }
          : m.type === "sum" && m.missing !== undefined
            ? // Kibana's "JSON input" of the aggregation: merged into the request as is.
              { field: m.field, json: JSON.stringify({ missing: m.missing }) }
            : { field: m.field },
  }));
  const hasTime = buckets.some((b) => b.type === "date_histogram");
  buckets.forEach((b, i) => {
    const id = String(metrics.length + 1 + i);
    if (b.type === "date_histogram") {
      aggs.push({
        id,
        enabled: true,
        type: "date_histogram",
        schema: "segment",
        params: {
          field: timeField,
          interval: b.interval,
          min_doc_count: 1,
          extended_bounds: {},
          useNormalizedEsInterval: true,
          scaleMetricValues: false,
          drop_partials: false,
        },
      });
      return;
    }
    const schema = p.viz === "table" || p.viz === "stat" ? "bucket" : hasTime || i > 0 ? "group" : "segment";
    if (b.type === "histogram") {
      aggs.push({
        id,
        enabled: true,
        type: "histogram",
        schema,
        params: { field: b.field, interval: b.interval, min_doc_count: true, has_extended_bounds: false },
      });
      return;
    }
    aggs.push({
      id,
      enabled: true,
      type: "terms",
      schema,
      params: {
        field: b.field,
        orderBy: "custom",
        orderAgg: { id: `${id}-orderAgg`, enabled: true, type: "count", schema: "orderAgg", params: {} },
        order: "desc",
        size: b.size,
        otherBucket: false,
        missingBucket: false,
      },
    });
  });
  return aggs;
}

const METRIC_PARAMS = {
  addTooltip: true,
  addLegend: false,
  type: "metric",
  metric: {
    percentageMode: false,
    useRanges: false,
    colorSchema: "Green to Red",
    metricColorMode: "None",
    colorsRange: [{ from: 0, to: 10000 }],
    labels: { show: true },
    invertColors: false,
    style: { bgFill: "#000", bgColor: false, labelColor: false, subText: "", fontSize: 40 },
  },
};

const TABLE_PARAMS = {
  perPage: 10,
  showPartialRows: false,
  showMetricsAtAllLevels: false,
  showTotal: false,
  totalFunc: "sum",
  percentageCol: "",
};

function xyParams(type: "line" | "histogram", title: string, aggs: Json[]): Json {
  return {
    type,
    grid: { categoryLines: false },
    categoryAxes: [
      {
        id: "CategoryAxis-1",
        type: "category",
        position: "bottom",
        show: true,
        style: {},
        scale: { type: "linear" },
        labels: { show: true, filter: true, truncate: 100 },
        title: {},
      },
    ],
    valueAxes: [
      {
        id: "ValueAxis-1",
        name: "LeftAxis-1",
        type: "value",
        position: "left",
        show: true,
        style: {},
        scale: { type: "linear", mode: "normal" },
        labels: { show: true, rotate: 0, filter: false, truncate: 100 },
        title: { text: title },
      },
    ],
    seriesParams: aggs
      .filter((a) => a.schema === "metric")
      .map((a) => ({
        show: true,
        type,
        mode: "normal",
        data: { label: title, id: a.id },
        valueAxis: "ValueAxis-1",
        drawLinesBetweenPoints: true,
        lineWidth: 2,
        showCircles: true,
        interpolate: "linear",
      })),
    addTooltip: true,
    addLegend: true,
    legendPosition: "right",
    times: [],
    addTimeMarker: false,
    thresholdLine: { show: false, value: 10, width: 1, style: "full", color: "#E7664C" },
    labels: { show: false },
  };
}

/** The visState of a panel: metric, table, line or vertical bar chart. */
export function visState(p: EsPanel, timeField: string, booleans: Set<string>): Json {
  const aggs = kibanaAggs(p, timeField, booleans);
  const type = { stat: "metric", table: "table", timeseries: "line", bar: "histogram" }[p.viz];
  const params =
    type === "metric"
      ? METRIC_PARAMS
      : type === "table"
        ? TABLE_PARAMS
        : xyParams(type as "line" | "histogram", p.title, aggs);
  // A boolean split turns an overall figure into a small table (one row per value).
  const finalType = type === "metric" && aggs.some((a) => a.schema === "bucket") ? "table" : type;
  return { title: p.title, type: finalType, aggs, params: finalType === type ? params : TABLE_PARAMS };
}
