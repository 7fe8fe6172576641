/**
 * The Grafana dashboard model the generator writes, in Grafana's own types: those of
 * `@grafana/grafana-foundation-sdk` (Apache-2.0), which Grafana Labs generates from the CUE
 * schemas of the dashboard, its panel plugins and its datasource queries. tsc refuses a
 * generated dashboard of the wrong shape; `test/grafana-schema.test.ts` turns this file into a
 * JSON schema (ts-json-schema-generator) and validates the committed dashboards against it.
 *
 * Narrowings of the SDK's types, each for a reason:
 * - a panel is one of the four plugins used here, with that plugin's options; options are
 *   partial at every level because Grafana merges the plugin's defaults into them on load;
 * - a panel's targets are the queries of its datasource (the SDK leaves them open);
 * - metric aggregations are those the spec uses, each named (the SDK's types leave `type` unknown);
 * - `reeltime` is the project's own key on a panel (Grafana keeps unknown panel fields as they are).
 */
import type * as barchart from "@grafana/grafana-foundation-sdk/barchart";
import type * as common from "@grafana/grafana-foundation-sdk/common";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import type * as elasticsearch from "@grafana/grafana-foundation-sdk/elasticsearch";
import type * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import type * as stat from "@grafana/grafana-foundation-sdk/stat";
import type * as table from "@grafana/grafana-foundation-sdk/table";
import type * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";

/** A query without the SDK's marker method (a type-level tag, never in JSON). */
type Query<T> = Omit<T, "_implementsDataqueryVariant">;

/** An SDK metric interface with its aggregation's name (the SDK's generated types leave `type` unknown). */
type Named<T, N extends elasticsearch.MetricAggregationType> = Omit<T, "type"> & { type: N };
/** The metric aggregations the spec can ask for (src/spec/types.ts), plus raw_data for document tables. */
export type EsMetric =
  | Named<elasticsearch.Count, "count">
  | Named<elasticsearch.Average, "avg">
  | Named<elasticsearch.Sum, "sum">
  | Named<elasticsearch.Min, "min">
  | Named<elasticsearch.Max, "max">
  | Named<elasticsearch.UniqueCount, "cardinality">
  | Named<elasticsearch.Percentiles, "percentiles">
  | Named<elasticsearch.RawData, "raw_data">;
export type EsQuery = Omit<Query<elasticsearch.dataquery>, "metrics" | "bucketAggs"> & {
  refId: string;
  datasource: EsDatasource;
  metrics: EsMetric[];
  bucketAggs: elasticsearch.BucketAggregation[];
};
export type PromQuery = Query<prometheus.Dataquery> & { refId: string; datasource: PromDatasource };

export interface EsDatasource {
  type: "elasticsearch";
  uid: string;
}
export interface PromDatasource {
  type: "prometheus";
  uid: string;
}

export type StatOptions = Partial<Omit<stat.Options, "reduceOptions">> & {
  reduceOptions?: Partial<common.ReduceDataOptions>;
};
export type TableOptions = Partial<table.Options>;
export type TimeseriesOptions = Partial<Omit<timeseries.Options, "legend" | "tooltip">> & {
  legend?: Partial<common.VizLegendOptions>;
  tooltip?: Partial<common.VizTooltipOptions>;
};
export type BarchartOptions = Partial<Omit<barchart.Options, "legend" | "tooltip">> & {
  legend?: Partial<common.VizLegendOptions>;
  tooltip?: Partial<common.VizTooltipOptions>;
};

type PanelBase = Omit<dashboard.Panel, "type" | "targets" | "options" | "datasource"> & {
  id: number;
  title: string;
  gridPos: dashboard.GridPos;
  fieldConfig: dashboard.FieldConfigSource;
  /** Which spec panel this is (the proofs map a panel back to its spec by it). */
  reeltime: { key: string };
};

export type PanelPlugin =
  | { type: "stat"; options: StatOptions }
  | { type: "table"; options: TableOptions }
  | { type: "timeseries"; options: TimeseriesOptions }
  | { type: "barchart"; options: BarchartOptions };

export type PanelSource =
  | { datasource: EsDatasource; targets: EsQuery[] }
  | { datasource: PromDatasource; targets: PromQuery[] };

export type GrafanaPanel = PanelBase & PanelPlugin & PanelSource;

export type GrafanaRow = Omit<dashboard.RowPanel, "panels"> & { title: string; gridPos: dashboard.GridPos; panels: [] };

export type GrafanaVariable = dashboard.VariableModel & { datasource: EsDatasource | PromDatasource };

/** A dashboard file as `reeltime dashboards export` writes it. */
export type GrafanaDashboard = Omit<dashboard.Dashboard, "panels" | "templating"> & {
  uid: string;
  title: string;
  panels: (GrafanaPanel | GrafanaRow)[];
  templating: { list: GrafanaVariable[] };
};
