import { Counter, createRegistry, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from "@reeltime/runtime";

/** The ingest API's own series; label values are bounded (reasons are the contract's reason codes). */
export function ingestMetrics(registry: Registry = createRegistry("ingest-api")) {
  return {
    registry,
    accepted: new Counter({
      name: "reeltime_ingest_events_accepted_total",
      help: "Events accepted and acknowledged by the bus",
      labelNames: ["family"],
      registers: [registry],
    }),
    rejected: new Counter({
      name: "reeltime_ingest_events_rejected_total",
      help: "Events refused, by reason",
      labelNames: ["reason"],
      registers: [registry],
    }),
    requests: new Counter({
      name: "reeltime_ingest_requests_total",
      help: "Ingest API requests by route and status class",
      labelNames: ["route", "status"],
      registers: [registry],
    }),
    bytes: new Counter({
      name: "reeltime_ingest_received_bytes_total",
      help: "Request body bytes received (after decompression)",
      registers: [registry],
    }),
    publishSeconds: new Histogram({
      name: "reeltime_ingest_publish_duration_seconds",
      help: "Time from publish to bus acknowledgment",
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    busErrors: new Counter({
      name: "reeltime_ingest_bus_errors_total",
      help: "Publishes that failed or timed out (answered 503)",
      registers: [registry],
    }),
    apiRecordErrors: new Counter({
      name: "reeltime_ingest_api_record_errors_total",
      help: "api.request records that could not be published",
      registers: [registry],
    }),
    rateLimitStoreUp: new Gauge({
      name: "reeltime_ingest_rate_limit_store_up",
      help: "1 while rate-limit counters are shared through Redis/Valkey, 0 while this process limits on its own",
      registers: [registry],
    }),
    rateLimitFallbacks: new Counter({
      name: "reeltime_ingest_rate_limit_fallbacks_total",
      help: "Times the rate-limit store stopped answering and this process fell back to local limits",
      registers: [registry],
    }),
  };
}
export type IngestMetrics = ReturnType<typeof ingestMetrics>;
