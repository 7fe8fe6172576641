/**
 * reeltime's Prometheus alerting rules as data, rendered beside the dashboards (src/prometheus/rules.ts)
 * into the Helm chart's files/alerts.yml, which the local Prometheus loads too. Every expression reads
 * series reeltime exports: the processors' runtime (packages/processing run-processor.ts), the ingest
 * API (ingest-api/src/metrics.ts) and the viewers processor (stream-processors/src/viewers/metrics.ts);
 * test/alerts.test.ts checks the names against those registries, infra/test/alerts.int.test.ts runs
 * promtool on them.
 */

export interface AlertRule {
  alert: string;
  expr: string;
  /** How long the expression must hold before the alert fires (Prometheus duration). */
  for: string;
  severity: "page" | "ticket";
  summary: string;
  description: string;
}

export interface AlertGroup {
  name: string;
  rules: AlertRule[];
}

/** Rebuffer ratio (rebuffering ÷ (playing + rebuffering), over 5 min) above which views suffer. */
export const REBUFFER_RATIO_LIMIT = 0.02;
/** Share of started views failing before their first frame, over 10 min. */
export const STARTUP_FAILURE_LIMIT = 0.05;
/** Views started in 10 min below which the startup failure share is not judged (too few to mean much). */
export const STARTUP_FAILURE_MIN_VIEWS = 20;
/**
 * Target live latency, seconds: 2 s segments, hls.js holding 3 segments behind the edge (its
 * liveSyncDurationCount), plus encode and upload; p95 of the last minute above it fires.
 */
export const LIVE_LATENCY_TARGET_SECONDS = 10;
/** Share of ingest API requests answered 5xx, over 5 min. */
export const INGEST_5XX_LIMIT = 0.01;
/** Messages a consumer group has not committed (sum over partitions). */
export const CONSUMER_LAG_LIMIT = 10_000;

const ratio = (part: string, whole: string, by: string, w: string) =>
  `sum by (${by}) (rate(${part}[${w}])) / sum by (${by}) (rate(${whole}[${w}]))`;

export const ALERT_GROUPS: readonly AlertGroup[] = [
  {
    name: "reeltime-processors",
    rules: [
      {
        alert: "ReeltimePartitionStalled",
        expr: "max by (processor, topic, partition) (reeltime_processor_partition_stalled) == 1",
        for: "2m",
        severity: "page",
        summary:
          "{{ $labels.processor }} makes no progress on {{ $labels.topic }}/{{ $labels.partition }} while it has lag",
        description:
          'The partition has messages waiting and its processor has handled and committed nothing on it for the stall time. Look for the processor\'s "batch failed" warnings, a backing service that is down, or a message that fails every time (it should be in dead letters).',
      },
      {
        alert: "ReeltimeProcessorBatchesFailing",
        expr: "sum by (processor) (rate(reeltime_processor_batch_failures_total[5m])) > 0",
        for: "10m",
        severity: "ticket",
        summary: "{{ $labels.processor }} keeps failing batches (they are delivered again)",
        description: "Batches fail and are retried; check the processor's log and its backing service.",
      },
      {
        alert: "ReeltimeProcessorFlushesFailing",
        expr: "sum by (processor) (rate(reeltime_processor_tick_failures_total[5m])) > 0",
        for: "10m",
        severity: "ticket",
        summary: "{{ $labels.processor }} keeps failing its periodic flushes (retried after a backoff)",
        description:
          'Buffered work is not written out (index flushes, Parquet cuts, view checkpoints); check the processor\'s "tick failed" warnings and its backing service.',
      },
      {
        alert: "ReeltimeDeadLettersGrowing",
        expr: "sum by (processor, reason) (increase(reeltime_processor_dead_letters_total[15m])) > 100",
        for: "15m",
        severity: "ticket",
        summary: "{{ $labels.processor }} sends messages to dead letters ({{ $labels.reason }})",
        description:
          "Find them with `reeltime replay --reason {{ $labels.reason }} --dry-run`; fix the producer or the contract, then replay.",
      },
      {
        alert: "ReeltimeConsumerLagHigh",
        expr: `sum by (group) (reeltime_consumer_lag_messages) > ${CONSUMER_LAG_LIMIT}`,
        for: "10m",
        severity: "ticket",
        summary: "consumer group {{ $labels.group }} is {{ $value }} messages behind",
        description: `The group has had more than ${CONSUMER_LAG_LIMIT} messages not yet committed for 10 minutes: it consumes slower than events arrive. Scale the processor out (more instances, up to the partition count) or look for slow batches (reeltime_processor_batch_duration_seconds).`,
      },
    ],
  },
  {
    name: "reeltime-ingest",
    rules: [
      {
        alert: "ReeltimeIngest5xx",
        expr: `(${ratio('reeltime_ingest_requests_total{status="5xx"}', "reeltime_ingest_requests_total", "route", "5m")}) > ${INGEST_5XX_LIMIT}`,
        for: "5m",
        severity: "page",
        summary: "ingest API answers {{ $value | humanizePercentage }} of {{ $labels.route }} requests with 5xx",
        description:
          "Players and the pipeline lose events while this lasts (they retry, then drop). A 503 is a bus that failed or timed out (reeltime_ingest_bus_errors_total); look at the ingest log and the bus.",
      },
    ],
  },
  {
    name: "reeltime-qoe",
    rules: [
      {
        alert: "ReeltimeRebufferRatioHigh",
        expr: `(sum by (stream_type) (rate(reeltime_playback_rebuffer_seconds_total[5m])) / (sum by (stream_type) (rate(reeltime_playback_rebuffer_seconds_total[5m])) + sum by (stream_type) (rate(reeltime_playback_playing_seconds_total[5m])))) > ${REBUFFER_RATIO_LIMIT}`,
        for: "5m",
        severity: "ticket",
        summary:
          "{{ $labels.stream_type }} views spend {{ $value | humanizePercentage }} of their watch time rebuffering",
        description: `Rebuffering over playing plus rebuffering time, as the views report it, is above ${REBUFFER_RATIO_LIMIT * 100} %. Compare renditions and CDN POPs on the QoE dashboard; check origin and CDN health.`,
      },
      {
        alert: "ReeltimeVideoStartupFailures",
        expr: `(${ratio("reeltime_playback_startup_failures_total", "reeltime_playback_views_started_total", "stream_type", "10m")}) > ${STARTUP_FAILURE_LIMIT} and sum by (stream_type) (increase(reeltime_playback_views_started_total[10m])) >= ${STARTUP_FAILURE_MIN_VIEWS}`,
        for: "5m",
        severity: "page",
        summary: "{{ $value | humanizePercentage }} of {{ $labels.stream_type }} views fail before their first frame",
        description: `More than ${STARTUP_FAILURE_LIMIT * 100} % of the views started in 10 minutes ended in a fatal error before the first frame. Look at the last fatal errors (QoE dashboard) for the error code: manifests or segments missing, DRM, a broken rendition.`,
      },
      {
        alert: "ReeltimeLiveLatencyAboveTarget",
        expr: `histogram_quantile(0.95, sum by (app, stream, le) (rate(reeltime_live_latency_seconds_bucket[1m]))) > ${LIVE_LATENCY_TARGET_SECONDS}`,
        for: "2m",
        severity: "ticket",
        summary: `live stream {{ $labels.app }}/{{ $labels.stream }}: p95 latency {{ $value | humanizeDuration }} (target ${LIVE_LATENCY_TARGET_SECONDS} s)`,
        description:
          "Viewers of the stream see it later than the target: the encoder or the uploader falls behind real time, playlists are cached too long at the CDN, or players drift behind the live edge without catching up.",
      },
    ],
  },
];
