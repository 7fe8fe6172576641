import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

type Labels = Record<string, string>;
interface Series {
  name: string;
  labels: Labels;
  /** Counters grow by `slope` per second from `base`; gauges stay at `base`. */
  slope: number;
  base: number;
}

const counter = (name: string, labels: Labels, slope: number): Series => ({ name, labels, slope, base: 1000 });
const gauge = (name: string, labels: Labels, value: number): Series => ({ name, labels, slope: 0, base: value });

/** Cumulative histogram buckets growing linearly: `perSecond[le]` observations per second at or below le. */
function histogram(name: string, labels: Labels, perSecond: Record<string, number>, sumPerSecond: number): Series[] {
  const inf = perSecond["+Inf"]!;
  return [
    ...Object.entries(perSecond).map(([le, slope]) => counter(`${name}_bucket`, { ...labels, le }, slope)),
    counter(`${name}_sum`, labels, sumPerSecond),
    counter(`${name}_count`, labels, inf),
  ];
}

/**
 * Series with known rates, exposed with explicit sample timestamps (Prometheus honours them):
 * every sample lies exactly on a line, so rate() over any window equals the slope.
 * See PROM_EXPECTED for what each panel must show.
 */
export const SERIES: Series[] = [
  counter("reeltime_ingest_events_accepted_total", { family: "playback" }, 12),
  counter("reeltime_ingest_events_accepted_total", { family: "click" }, 3),
  counter("reeltime_ingest_events_accepted_total", { family: "job" }, 0.5),
  counter("reeltime_ingest_events_rejected_total", { reason: "schema" }, 2),
  counter("reeltime_ingest_events_rejected_total", { reason: "too_large" }, 0.25),
  counter("reeltime_ingest_requests_total", { route: "/v1/events", status: "2xx" }, 4),
  counter("reeltime_ingest_requests_total", { route: "/v1/events", status: "4xx" }, 1),
  counter("reeltime_ingest_bus_errors_total", {}, 0.1),
  // 10 publishes/s: 2 ≤ 2.5 ms, 4 more ≤ 5 ms, 3 more ≤ 10 ms, 1 more ≤ 25 ms
  ...histogram(
    "reeltime_ingest_publish_duration_seconds",
    {},
    { "0.001": 0, "0.0025": 2, "0.005": 6, "0.01": 9, "0.025": 10, "0.05": 10, "+Inf": 10 },
    0.06,
  ),
  counter("reeltime_processor_messages_total", { processor: "indexer" }, 15),
  counter("reeltime_processor_messages_total", { processor: "sessionizer" }, 12),
  // indexer: 2 batches/s, one ≤ 50 ms, one in (50, 100] ms; sessionizer: 1 batch/s in (5, 10] ms
  ...histogram(
    "reeltime_processor_batch_duration_seconds",
    { processor: "indexer" },
    { "0.025": 0, "0.05": 1, "0.1": 2, "+Inf": 2 },
    0.12,
  ),
  ...histogram(
    "reeltime_processor_batch_duration_seconds",
    { processor: "sessionizer" },
    { "0.005": 0, "0.01": 1, "+Inf": 1 },
    0.008,
  ),
  counter("reeltime_processor_batch_failures_total", { processor: "indexer" }, 0.2),
  counter("reeltime_processor_batch_failures_total", { processor: "archiver" }, 0.05),
  counter("reeltime_processor_dead_letters_total", { processor: "indexer", reason: "rejected_by_store" }, 0.4),
  counter("reeltime_processor_dead_letters_total", { processor: "indexer", reason: "not_json" }, 0.1),
  counter("reeltime_processor_dead_letters_total", { processor: "sessionizer", reason: "invalid_event" }, 0.05),
  ...[5, 7, 0, 30].map((v, p) =>
    gauge(
      "reeltime_consumer_lag_messages",
      { group: "reeltime-indexer", topic: "reeltime.playback", partition: String(p) },
      v,
    ),
  ),
  ...[3, 4].map((v, p) =>
    gauge(
      "reeltime_consumer_lag_messages",
      { group: "reeltime-sessionizer", topic: "reeltime.playback", partition: String(p) },
      v,
    ),
  ),
  // Live streams: 120 and 30 viewers; news fails 3 starts a minute and rebuffers 0.5 %, match 1 %;
  // news' latency reports: 40/s, 10 ≤ 4 s, 20 more ≤ 6 s, 10 more ≤ 8 s.
  gauge("reeltime_live_viewers", { app: "demo", stream: "news" }, 120),
  gauge("reeltime_live_viewers", { app: "demo", stream: "match" }, 30),
  counter("reeltime_live_startup_failures_total", { app: "demo", stream: "news" }, 0.05),
  counter("reeltime_live_rebuffer_seconds_total", { app: "demo", stream: "news" }, 0.5),
  counter("reeltime_live_playing_seconds_total", { app: "demo", stream: "news" }, 99.5),
  counter("reeltime_live_rebuffer_seconds_total", { app: "demo", stream: "match" }, 0.3),
  counter("reeltime_live_playing_seconds_total", { app: "demo", stream: "match" }, 29.7),
  ...histogram(
    "reeltime_live_latency_seconds",
    { app: "demo", stream: "news" },
    { "2": 0, "4": 10, "6": 30, "8": 40, "+Inf": 40 },
    220,
  ),
];

/**
 * Per panel key, per target (in order), legend → value. Histogram quantiles interpolate inside
 * the bucket holding rank q·count: publish p50 → rank 5 in (2.5, 5] ms holding ranks 2-6:
 * 2.5 + 2.5·(5−2)/4 = 4.375 ms; p95 → rank 9.5 in (10, 25] ms: 10 + 15·0.5 = 17.5 ms; p99 → 23.5 ms.
 * Indexer batch p95 → rank 1.9 in (50, 100] ms: 50 + 50·0.9 = 95 ms; sessionizer rank 0.95 in (5, 10]: 9.75 ms.
 * Live latency p50 → rank 20 in (4, 6] s holding ranks 10-30: 4 + 2·10/20 = 5 s; p95 → rank 38 in (6, 8]: 6 + 2·8/10 = 7.6 s.
 */
export const PROM_EXPECTED: Record<string, Record<string, number>[]> = {
  "ingest-accepted": [{ playback: 12, click: 3, job: 0.5 }],
  "ingest-rejected": [{ schema: 2, too_large: 0.25 }],
  "ingest-publish-latency": [{ p50: 0.004375 }, { p95: 0.0175 }, { p99: 0.0235 }],
  "ingest-requests": [{ "2xx": 4, "4xx": 1 }, { "bus errors": 0.1 }],
  "processors-lag": [{ "reeltime-indexer": 42, "reeltime-sessionizer": 7 }],
  "processors-lag-max": [{ max: 30 }],
  "processors-throughput": [{ indexer: 15, sessionizer: 12 }],
  "processors-batch-latency": [{ indexer: 0.095, sessionizer: 0.00975 }],
  "errors-bulk": [{ "documents refused": 0.4 }, { "failed bulk batches": 0.2 }],
  "errors-batch-failures": [{ indexer: 0.2, archiver: 0.05 }],
  "errors-dead-letters-rate": [
    { "indexer rejected_by_store": 0.4, "indexer not_json": 0.1, "sessionizer invalid_event": 0.05 },
  ],
  "live-viewers-total": [{ viewers: 150 }],
  "live-viewers": [{ "demo/news": 120, "demo/match": 30 }],
  "live-startup-failures": [{ "demo/news": 3 }],
  "live-rebuffer-ratio": [{ "demo/news": 0.005, "demo/match": 0.01 }],
  "live-latency": [{ "p50 demo/news": 5 }, { "p95 demo/news": 7.6 }],
};

function render(series: Series[], t0: number, now: number): string {
  const lines: string[] = [];
  const typed = new Set<string>();
  for (const s of series) {
    const family = s.name.replace(/_(bucket|sum|count)$/, "");
    if (!typed.has(family)) {
      typed.add(family);
      const kind = s.name.endsWith("_total") ? "counter" : family !== s.name ? "histogram" : "gauge";
      lines.push(`# TYPE ${family} ${kind}`);
    }
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(",");
    const value = s.base + (s.slope * (now - t0)) / 1000;
    lines.push(`${s.name}${labels ? `{${labels}}` : ""} ${value} ${now}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A /metrics endpoint on 127.0.0.1 (random port) serving SERIES with the scrape's own timestamp. */
export async function startMetricsFixture(): Promise<{ server: Server; address: string; close(): Promise<void> }> {
  const t0 = Date.now();
  const server = createServer((req, res) => {
    if (req.url !== "/metrics") return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(render(SERIES, t0, Date.now()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
