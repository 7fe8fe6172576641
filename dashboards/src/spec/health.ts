import type { DashboardSpec, PromPanel } from "./types.ts";

/** Every Prometheus selector is scoped to the dashboard's `instance` variable (all targets by default). */
const I = 'instance=~"$instance"';
const W = "[$__rate_interval]";

const prom = (p: Omit<PromPanel, "kind">): PromPanel => ({ kind: "prom", ...p });
const quantile = (q: number, metric: string, by = "") =>
  `histogram_quantile(${q}, sum by (le${by}) (rate(${metric}_bucket{${I}}${W})))`;

/**
 * Ingest and processors health from Prometheus (ingest-api/src/metrics.ts and
 * stream-processors/src/runtime/run-processor.ts), plus the dead letters stored in Elasticsearch.
 * Bulk errors are the indexer's: documents Elasticsearch refused (dead-lettered with reason
 * rejected_by_store) and _bulk requests that failed as a whole (the indexer's failed batches).
 */
export const healthDashboard: DashboardSpec = {
  uid: "reeltime-health",
  title: "reeltime / Ingest & processors health",
  description: "Events accepted and rejected, publish latency, consumer lag, bulk errors and dead letters.",
  tags: ["reeltime", "health"],
  variables: ["instance", "app"],
  rows: [
    {
      title: "Ingest",
      panels: [
        prom({
          key: "ingest-accepted",
          title: "Events accepted /s",
          description: "Events acknowledged by the bus, per second, by family.",
          targets: [
            {
              expr: `sum by (family) (rate(reeltime_ingest_events_accepted_total{${I}}${W}))`,
              legend: "{{family}}",
            },
          ],
          viz: "timeseries",
          unit: "reqps",
        }),
        prom({
          key: "ingest-rejected",
          title: "Events rejected /s",
          description: "Events refused, per second, by reason.",
          targets: [
            {
              expr: `sum by (reason) (rate(reeltime_ingest_events_rejected_total{${I}}${W}))`,
              legend: "{{reason}}",
            },
          ],
          viz: "timeseries",
          unit: "reqps",
        }),
        prom({
          key: "ingest-publish-latency",
          title: "Publish latency",
          description: "Time from publish to the bus acknowledgment: p50, p95, p99.",
          targets: [0.5, 0.95, 0.99].map((q) => ({
            expr: quantile(q, "reeltime_ingest_publish_duration_seconds"),
            legend: `p${q * 100}`,
          })),
          viz: "timeseries",
          unit: "s",
        }),
        prom({
          key: "ingest-requests",
          title: "Requests /s and bus errors /s",
          description: "API requests by status class, and publishes that failed or timed out (answered 503).",
          targets: [
            { expr: `sum by (status) (rate(reeltime_ingest_requests_total{${I}}${W}))`, legend: "{{status}}" },
            { expr: `sum(rate(reeltime_ingest_bus_errors_total{${I}}${W}))`, legend: "bus errors" },
          ],
          viz: "timeseries",
          unit: "reqps",
        }),
      ],
    },
    {
      title: "Processors",
      panels: [
        prom({
          key: "processors-lag",
          title: "Consumer lag",
          description: "Messages not yet committed, per consumer group (sum over partitions).",
          targets: [{ expr: `sum by (group) (reeltime_consumer_lag_messages{${I}})`, legend: "{{group}}" }],
          viz: "timeseries",
          unit: "short",
        }),
        prom({
          key: "processors-lag-max",
          title: "Largest partition lag",
          description: "The most lagging partition of any group.",
          targets: [{ expr: `max(reeltime_consumer_lag_messages{${I}})`, legend: "max" }],
          viz: "stat",
          unit: "short",
        }),
        prom({
          key: "processors-throughput",
          title: "Messages handled /s",
          description: "Messages handled per second, by processor.",
          targets: [
            {
              expr: `sum by (processor) (rate(reeltime_processor_messages_total{${I}}${W}))`,
              legend: "{{processor}}",
            },
          ],
          viz: "timeseries",
          unit: "reqps",
        }),
        prom({
          key: "processors-batch-latency",
          title: "Batch duration p95",
          description: "p95 time to handle one batch, by processor.",
          targets: [
            {
              expr: quantile(0.95, "reeltime_processor_batch_duration_seconds", ", processor"),
              legend: "{{processor}}",
            },
          ],
          viz: "timeseries",
          unit: "s",
        }),
      ],
    },
    {
      title: "Errors and dead letters",
      panels: [
        prom({
          key: "errors-bulk",
          title: "Elasticsearch bulk errors /s",
          description:
            "Documents Elasticsearch refused (sent to the dead letters) and _bulk requests that failed as a whole (retried).",
          targets: [
            {
              expr: `sum(rate(reeltime_processor_dead_letters_total{processor="indexer",reason="rejected_by_store",${I}}${W}))`,
              legend: "documents refused",
            },
            {
              expr: `sum(rate(reeltime_processor_batch_failures_total{processor="indexer",${I}}${W}))`,
              legend: "failed bulk batches",
            },
          ],
          viz: "timeseries",
          unit: "reqps",
        }),
        prom({
          key: "errors-batch-failures",
          title: "Failed batches /s",
          description: "Batches whose handler failed (delivered again), by processor.",
          targets: [
            {
              expr: `sum by (processor) (rate(reeltime_processor_batch_failures_total{${I}}${W}))`,
              legend: "{{processor}}",
            },
          ],
          viz: "timeseries",
          unit: "reqps",
        }),
        prom({
          key: "errors-dead-letters-rate",
          title: "Dead letters /s",
          description: "Messages sent to the dead-letter stream per second, by processor and reason.",
          targets: [
            {
              expr: `sum by (processor, reason) (rate(reeltime_processor_dead_letters_total{${I}}${W}))`,
              legend: "{{processor}} {{reason}}",
            },
          ],
          viz: "timeseries",
          unit: "reqps",
        }),
        {
          kind: "es",
          key: "errors-dead-letters-stored",
          title: "Dead letters waiting for replay",
          description: "Dead letters stored in Elasticsearch that were not replayed yet, by reason.",
          source: "deadLetters",
          query: "NOT _exists_:replayed_at",
          appScoped: false,
          metrics: [{ type: "count" }],
          buckets: [{ type: "terms", field: "reason", size: 20 }],
          viz: "table",
          unit: "short",
        },
        {
          kind: "docs",
          key: "errors-dead-letters-last",
          title: "Last 100 dead letters",
          description: "The newest dead letters with their stage, reason and message.",
          source: "deadLetters",
          query: "*",
          appScoped: false,
          columns: ["stage", "reason", "message", "topic", "app_id", "event_type", "event_id", "replayed_at"],
          size: 100,
        },
        {
          kind: "docs",
          key: "api-last-calls",
          title: "Last 100 API calls",
          description: "The newest ingest API calls of the selected app with route, status, latency and counts.",
          source: "events",
          query: 'event_type:"api.request"',
          appScoped: true,
          columns: [
            "app_id",
            "api.route",
            "api.method",
            "api.status",
            "api.latency_ms",
            "api.accepted",
            "api.rejected",
            "api.error_code",
          ],
          size: 100,
        },
      ],
    },
  ],
};
