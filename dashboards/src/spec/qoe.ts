import type { Bucket, DashboardSpec, EsPanel, Metric, Row, Unit } from "./types.ts";

/**
 * The breakdowns every QoE figure gets, on view records and on playback events. Media kind is
 * what a view played on (video or audio); records and events from before the SDK sent it have
 * none and are left out of that breakdown only.
 */
export const BREAKDOWNS = [
  { key: "video", label: "video", views: "video_id", events: "video.id" },
  { key: "browser", label: "browser", views: "browser", events: "user_agent.name" },
  { key: "rendition", label: "rendition", views: "last_rendition", events: "rendition.id" },
  { key: "media", label: "media kind", views: "media_kind", events: "media_kind" },
] as const;

const terms = (field: string): Bucket => ({ type: "terms", field, size: 10 });

/**
 * The number of views: each record counts `weight` (1 / sample_rate) views, so a sampled app
 * shows its full totals; records written before sampling was weighted count 1.
 */
export const VIEWS: Metric = { type: "sum", field: "weight", missing: 1 };

interface Figure {
  key: string;
  title: string;
  description: string;
  query: string;
  metrics: Metric[];
  unit: Unit;
}

/** One row per figure: the overall value, then a table per breakdown (with the number of views). */
function viewsRow(f: Figure, over: string): Row {
  const base = { kind: "es", source: "views", query: f.query, appScoped: true, unit: f.unit } as const;
  const panels: EsPanel[] = [
    {
      ...base,
      key: `qoe-${f.key}`,
      title: f.title,
      description: f.description,
      metrics: f.metrics,
      buckets: [],
      viz: "stat",
    },
    ...BREAKDOWNS.map(
      (b): EsPanel => ({
        ...base,
        key: `qoe-${f.key}-by-${b.key}`,
        title: `${f.title} by ${b.label}`,
        description: `${f.description} Top 10 ${b.label}s by ${over}.`,
        metrics: [VIEWS, ...f.metrics],
        buckets: [terms(b.views)],
        viz: "table",
      }),
    ),
  ];
  return { title: f.title, panels };
}

/**
 * A view counts as concurrent in a minute when it reported while starting, playing or
 * rebuffering (heartbeats come at least every 30 s, so a living view reports every minute);
 * pauses, seeks, errors and requests do not make a view concurrent.
 */
export const CONCURRENT_QUERY =
  'event_type:("playback.view_start" OR "playback.heartbeat" OR "playback.playing" OR "playback.startup_complete" OR ' +
  '"playback.rebuffer_start" OR "playback.rebuffer_end") AND NOT state:(paused OR seeking OR ended OR error)';
const unique: Metric = { type: "cardinality", field: "view_id" };
const minute: Bucket = { type: "date_histogram", interval: "1m" };

const concurrentRow: Row = {
  title: "Concurrent viewers",
  panels: [
    {
      kind: "es",
      key: "qoe-concurrent",
      title: "Concurrent viewers",
      description: "Views reporting while starting, playing or rebuffering, per minute.",
      source: "events",
      query: CONCURRENT_QUERY,
      appScoped: true,
      metrics: [unique],
      buckets: [minute],
      viz: "timeseries",
      unit: "short",
    },
    ...BREAKDOWNS.map(
      (b): EsPanel => ({
        kind: "es",
        key: `qoe-concurrent-by-${b.key}`,
        title: `Concurrent viewers by ${b.label}`,
        description: `Views reporting while starting, playing or rebuffering, per minute and ${b.label} (top 10).`,
        source: "events",
        query: CONCURRENT_QUERY,
        appScoped: true,
        metrics: [unique],
        buckets: [terms(b.events), minute],
        viz: "timeseries",
        unit: "short",
      }),
    ),
  ],
};

const overTime: Row = {
  title: "Over time",
  panels: [
    {
      kind: "es",
      key: "qoe-startup-over-time",
      title: "Video startup time over time",
      description: "p50 and p95 of startup time of the views started in each interval.",
      source: "views",
      query: "_exists_:startup_ms",
      appScoped: true,
      metrics: [{ type: "percentiles", field: "startup_ms", percents: [50, 95] }],
      buckets: [{ type: "date_histogram", interval: "auto" }],
      viz: "timeseries",
      unit: "ms",
    },
    {
      kind: "es",
      key: "qoe-views-over-time",
      title: "Views started",
      description: "Views started in each interval (a sampled view counts 1 / sample rate times).",
      source: "views",
      query: "*",
      appScoped: true,
      metrics: [VIEWS],
      buckets: [{ type: "date_histogram", interval: "auto" }],
      viz: "timeseries",
      unit: "short",
    },
  ],
};

/**
 * Delivery: views whose requests the CDN logged (the delivery fields the sessionizer joins from
 * CDN logs by the view's CMCD session id). A view served by several edge locations counts in
 * each of them.
 */
const DELIVERED = "_exists_:cdn_requests";
const deliveryRow: Row = {
  title: "Delivery (CDN)",
  panels: [
    {
      kind: "es",
      key: "qoe-delivery-by-pop",
      title: "QoE by POP",
      description:
        "Per CDN edge location (top 10 by views): views it served, their mean rebuffer ratio, mean cache hit ratio and p50 startup time.",
      source: "views",
      query: DELIVERED,
      appScoped: true,
      metrics: [
        VIEWS,
        { type: "avg", field: "rebuffer_ratio" },
        { type: "avg", field: "cdn_cache_hit_ratio" },
        { type: "percentiles", field: "startup_ms", percents: [50] },
      ],
      buckets: [terms("cdn_pops")],
      viz: "table",
      unit: "percentunit",
    },
    {
      kind: "es",
      key: "qoe-delivery-hit-ratio-vs-rebuffer",
      title: "Cache hit ratio vs rebuffering",
      description:
        "Views by the share of their CDN requests served from the edge's cache (quarters: 0, 0.25, 0.5, 0.75 and up), with the mean rebuffer ratio of each quarter.",
      source: "views",
      query: DELIVERED,
      appScoped: true,
      metrics: [VIEWS, { type: "avg", field: "rebuffer_ratio" }],
      buckets: [{ type: "histogram", field: "cdn_cache_hit_ratio", interval: 0.25 }],
      viz: "bar",
      unit: "percentunit",
    },
  ],
};

/** Playback QoE: the figures of QOE.md over view records, each by video, browser, rendition and media kind. */
export const qoeDashboard: DashboardSpec = {
  uid: "reeltime-qoe",
  title: "reeltime / Playback QoE",
  description: "Startup, rebuffering, failures, exits before start, bitrate and concurrent viewers.",
  tags: ["reeltime", "qoe"],
  variables: ["app"],
  rows: [
    viewsRow(
      {
        key: "startup",
        title: "Video startup time",
        description:
          "p50 and p95 of the time from play request to the first advancing frame, over views that reached one.",
        query: "_exists_:startup_ms",
        metrics: [{ type: "percentiles", field: "startup_ms", percents: [50, 95] }],
        unit: "ms",
      },
      "views",
    ),
    viewsRow(
      {
        key: "rebuffer",
        title: "Rebuffer ratio",
        description:
          "Mean of the per-view rebuffer ratio (rebuffer time ÷ (playing + rebuffer time)) over views that reached a first frame.",
        query: "reached_first_frame:true",
        metrics: [{ type: "avg", field: "rebuffer_ratio" }],
        unit: "percentunit",
      },
      "views",
    ),
    viewsRow(
      {
        key: "failures",
        title: "Playback failures",
        description: "Share of views that ended in a fatal error (failures) and the number of failed views.",
        query: "*",
        metrics: [
          { type: "avg", field: "playback_failure" },
          { type: "sum", field: "playback_failure" },
        ],
        unit: "percentunit",
      },
      "views",
    ),
    viewsRow(
      {
        key: "ebvs",
        title: "Exits before video start",
        description:
          "Share of views the viewer left before the first frame (waits under 1 s not counted), and their number.",
        query: "*",
        metrics: [
          { type: "avg", field: "ebvs" },
          { type: "sum", field: "ebvs" },
        ],
        unit: "percentunit",
      },
      "views",
    ),
    viewsRow(
      {
        key: "bitrate",
        title: "Average bitrate",
        description: "Mean over views of the time-weighted average bitrate of the rendition on screen.",
        query: "_exists_:avg_bitrate_bps",
        metrics: [{ type: "avg", field: "avg_bitrate_bps" }],
        unit: "bps",
      },
      "views",
    ),
    concurrentRow,
    deliveryRow,
    overTime,
    {
      title: "Errors",
      panels: [
        {
          kind: "docs",
          key: "qoe-fatal-errors",
          title: "Last 100 fatal errors",
          description: "The newest fatal playback errors with the video, browser and error code.",
          source: "events",
          query: 'event_type:"playback.error" AND error.severity:fatal',
          appScoped: true,
          columns: ["app_id", "view_id", "video.id", "user_agent.name", "error.code", "error.message", "playhead_ms"],
          size: 100,
        },
      ],
    },
  ],
};
