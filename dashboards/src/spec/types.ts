/**
 * The dashboards as data: one spec per dashboard, rendered to Grafana JSON and to Kibana saved
 * objects. Panels name the index they read (a source), a Lucene query, metrics and buckets,
 * the same shapes Grafana's Elasticsearch query editor and Kibana's aggregation-based
 * visualizations store, so both renderings ask Elasticsearch the same question.
 */

/** Where an Elasticsearch panel reads: one Grafana datasource and one Kibana data view each. */
export type SourceName = "views" | "jobs" | "events" | "deadLetters";

export type Metric =
  | { type: "count" }
  | { type: "avg" | "max" | "min" | "cardinality"; field: string }
  /** `missing`: the value of documents without the field (weight: 1 for records written before sampling was weighted). */
  | { type: "sum"; field: string; missing?: number }
  | { type: "percentiles"; field: string; percents: number[] };

export type Bucket =
  /** Top values of a keyword field, most documents first. */
  | { type: "terms"; field: string; size: number }
  /** Time buckets on the source's time field; `interval` "auto" lets the viewer pick. */
  | { type: "date_histogram"; interval: string }
  /** Fixed-width buckets of a numeric field (e.g. a ratio in steps of 0.1), empty ones left out. */
  | { type: "histogram"; field: string; interval: number };

/** Display units (Grafana unit ids; Kibana gets a matching field format where one exists). */
export type Unit = "ms" | "s" | "percentunit" | "bps" | "short" | "reqps" | "speed";

export interface EsPanel {
  kind: "es";
  /** Stable key: Grafana panel ids, Kibana object ids and the proof's expectations hang on it. */
  key: string;
  title: string;
  description: string;
  source: SourceName;
  /** Lucene; Grafana prepends `app_id:$app AND` when `appScoped`. */
  query: string;
  appScoped: boolean;
  metrics: Metric[];
  /** Outermost first. Empty: one figure over every matching document. */
  buckets: Bucket[];
  viz: "stat" | "table" | "timeseries" | "bar";
  unit: Unit;
}

/** A "last N" document list: a Grafana raw-data table and a Kibana saved search. */
export interface DocsPanel {
  kind: "docs";
  key: string;
  title: string;
  description: string;
  source: SourceName;
  query: string;
  appScoped: boolean;
  columns: string[];
  size: number;
}

export interface PromTarget {
  expr: string;
  legend: string;
}

export interface PromPanel {
  kind: "prom";
  key: string;
  title: string;
  description: string;
  targets: PromTarget[];
  viz: "stat" | "timeseries";
  unit: Unit;
}

export type Panel = EsPanel | DocsPanel | PromPanel;

export interface Row {
  title: string;
  panels: Panel[];
}

export interface DashboardSpec {
  /** Grafana uid and Kibana dashboard id. */
  uid: string;
  title: string;
  description: string;
  tags: string[];
  /** Dashboard variables: `app` (Elasticsearch app filter), `instance` (Prometheus targets). */
  variables: ("app" | "instance")[];
  rows: Row[];
}
