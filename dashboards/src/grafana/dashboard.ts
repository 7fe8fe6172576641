import {
  BigValueColorMode,
  BigValueGraphMode,
  LegendDisplayMode,
  LegendPlacement,
  TableCellHeight,
  TooltipDisplayMode,
  VisibilityMode,
  VizOrientation,
} from "@grafana/grafana-foundation-sdk/common";
import { type GridPos, VariableType } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  type BucketAggregation,
  BucketAggregationType,
  TermsOrder,
} from "@grafana/grafana-foundation-sdk/elasticsearch";
import { luceneOf, panelsOf } from "../spec/index.ts";
import { PROMETHEUS_UID, SOURCES } from "../spec/sources.ts";
import type { Bucket, DashboardSpec, DocsPanel, EsPanel, Metric, Panel, PromPanel, Unit } from "../spec/types.ts";
import type {
  EsDatasource,
  EsMetric,
  EsQuery,
  GrafanaDashboard,
  GrafanaPanel,
  GrafanaRow,
  GrafanaVariable,
  PanelPlugin,
  PanelSource,
  PromDatasource,
  PromQuery,
} from "./model.ts";

const UNITS: Record<Unit, string> = {
  ms: "ms",
  s: "s",
  percentunit: "percentunit",
  bps: "bps",
  short: "short",
  reqps: "reqps",
  speed: "suffix:×",
};

const PANEL_TYPE = { stat: "stat", table: "table", timeseries: "timeseries", bar: "barchart" } as const;

const esDatasource = (p: EsPanel | DocsPanel): EsDatasource => ({
  type: "elasticsearch",
  uid: SOURCES[p.source].grafanaUid,
});
const promDatasource: PromDatasource = { type: "prometheus", uid: PROMETHEUS_UID };

/** A metric as Grafana's Elasticsearch query editor stores it. */
function grafanaMetric(m: Metric, id: string): EsMetric {
  if (m.type === "count") return { id, type: "count" };
  if (m.type === "percentiles")
    return { id, type: "percentiles", field: m.field, settings: { percents: m.percents.map(String) } };
  if (m.type === "sum" && m.missing !== undefined)
    return { id, type: m.type, field: m.field, settings: { missing: String(m.missing) } };
  return { id, type: m.type, field: m.field };
}

function grafanaBucket(b: Bucket, id: string, timeField: string): BucketAggregation {
  if (b.type === "terms")
    return {
      id,
      type: BucketAggregationType.Terms,
      field: b.field,
      settings: { size: String(b.size), order: TermsOrder.Desc, orderBy: "_count", min_doc_count: "1" },
    };
  if (b.type === "histogram")
    return {
      id,
      type: BucketAggregationType.Histogram,
      field: b.field,
      settings: { interval: String(b.interval), min_doc_count: "1" },
    };
  return {
    id,
    type: BucketAggregationType.DateHistogram,
    field: timeField,
    settings: { interval: b.interval, min_doc_count: "0", trimEdges: "0" },
  };
}

/** The Elasticsearch target of a panel. Grafana needs a bucket: an overall figure gets one "all" filter. */
export function esTarget(p: EsPanel): EsQuery {
  const src = SOURCES[p.source];
  const metrics = p.metrics.map((m, i) => grafanaMetric(m, String(i + 1)));
  const first = p.metrics.length + 1;
  const bucketAggs: BucketAggregation[] =
    p.buckets.length === 0
      ? [
          {
            id: String(first),
            type: BucketAggregationType.Filters,
            settings: { filters: [{ query: "*", label: "all" }] },
          },
        ]
      : p.buckets.map((b, i) => grafanaBucket(b, String(first + i), src.timeField));
  return {
    refId: "A",
    datasource: esDatasource(p),
    query: luceneOf(p, "$app"),
    alias: "",
    metrics,
    bucketAggs,
    timeField: src.timeField,
  };
}

function docsTarget(p: DocsPanel): EsQuery {
  return {
    refId: "A",
    datasource: esDatasource(p),
    query: luceneOf(p, "$app"),
    alias: "",
    metrics: [{ id: "1", type: "raw_data", settings: { size: String(p.size) } }],
    bucketAggs: [],
    timeField: SOURCES[p.source].timeField,
  };
}

function promTargets(p: PromPanel): PromQuery[] {
  return p.targets.map((t, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: promDatasource,
    expr: t.expr,
    legendFormat: t.legend,
    range: true,
    instant: false,
  }));
}

/** Each visualization as its Grafana plugin, with the options it is given (Grafana fills in the rest). */
function pluginOf(viz: Exclude<Panel, DocsPanel>["viz"]): PanelPlugin {
  const type = PANEL_TYPE[viz];
  if (type === "stat")
    return {
      type,
      options: {
        reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
        colorMode: BigValueColorMode.Value,
        graphMode: BigValueGraphMode.Area,
      },
    };
  if (type === "table") return { type, options: { showHeader: true, cellHeight: TableCellHeight.Sm } };
  if (type === "barchart")
    return {
      type,
      options: {
        orientation: VizOrientation.Horizontal,
        showValue: VisibilityMode.Auto,
        legend: { showLegend: false },
      },
    };
  return {
    type,
    options: {
      legend: { showLegend: true, displayMode: LegendDisplayMode.List, placement: LegendPlacement.Bottom },
      tooltip: { mode: TooltipDisplayMode.Multi },
    },
  };
}

function panelJson(p: Panel, id: number, gridPos: GridPos): GrafanaPanel {
  const common = { id, title: p.title, description: p.description, gridPos };
  if (p.kind === "docs")
    return {
      ...common,
      type: "table",
      datasource: esDatasource(p),
      targets: [docsTarget(p)],
      fieldConfig: { defaults: {}, overrides: [] },
      options: { showHeader: true, cellHeight: TableCellHeight.Sm },
      transformations: [
        {
          id: "organize",
          options: {
            includeByName: Object.fromEntries([SOURCES[p.source].timeField, ...p.columns].map((c) => [c, true])),
          },
        },
      ],
      reeltime: { key: p.key },
    };
  const plugin = pluginOf(p.viz);
  const source: PanelSource =
    p.kind === "prom"
      ? { datasource: promDatasource, targets: promTargets(p) }
      : { datasource: esDatasource(p), targets: [esTarget(p)] };
  // Keys in the order Grafana writes them: type, datasource, targets, fieldConfig, options.
  const head = { ...common, type: plugin.type };
  return {
    ...head,
    ...source,
    fieldConfig: { defaults: { unit: UNITS[p.unit] }, overrides: [] },
    ...plugin,
    // Where the panel comes from: lets the proof and readers map a panel back to its spec.
    reeltime: { key: p.key },
  };
}

function variable(name: "app" | "instance"): GrafanaVariable {
  if (name === "app")
    return {
      name: "app",
      label: "app",
      type: VariableType.Query,
      datasource: { type: "elasticsearch", uid: SOURCES.views.grafanaUid },
      query: '{"find": "terms", "field": "app_id"}',
      definition: '{"find": "terms", "field": "app_id"}',
      includeAll: true,
      allValue: "*",
      multi: true,
      current: { selected: true, text: ["All"], value: ["$__all"] },
      refresh: 2,
      sort: 1,
    };
  return {
    name: "instance",
    label: "instance",
    type: VariableType.Query,
    datasource: promDatasource,
    query: { query: "label_values(up, instance)", refId: "PrometheusVariableQueryEditor-VariableQuery" },
    definition: "label_values(up, instance)",
    includeAll: true,
    allValue: ".*",
    multi: true,
    current: { selected: true, text: ["All"], value: ["$__all"] },
    refresh: 2,
    sort: 1,
  };
}

/** A Grafana dashboard model (schemaVersion 39): one row per spec row, panels four to a line. */
export function grafanaDashboard(d: DashboardSpec): GrafanaDashboard {
  const panels: (GrafanaPanel | GrafanaRow)[] = [];
  let id = 1;
  let y = 0;
  for (const row of d.rows) {
    panels.push({
      id: id++,
      type: "row",
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    const charts = row.panels.filter((p) => p.kind !== "docs");
    const w = Math.floor(24 / Math.max(1, Math.min(charts.length, 4)));
    let x = 0;
    for (const p of row.panels) {
      if (p.kind === "docs") {
        if (x > 0) y += 8;
        x = 0;
        panels.push(panelJson(p, id++, { h: 12, w: 24, x: 0, y }));
        y += 12;
        continue;
      }
      if (x + w > 24) {
        x = 0;
        y += 8;
      }
      panels.push(panelJson(p, id++, { h: 8, w, x, y }));
      x += w;
    }
    if (x > 0) y += 8;
  }
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: d.tags,
    timezone: "browser",
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    time: { from: "now-6h", to: "now" },
    refresh: "30s",
    templating: { list: d.variables.map(variable) },
    annotations: { list: [] },
    links: [],
    panels,
  };
}

/** Panels of a spec dashboard in the order grafanaDashboard lays them out (for tests). */
export const specPanels = panelsOf;
