export { ConnectionEnv, describeEnv, loadEnv, SECRET_VARS } from "./config.ts";
export { listenError, ReeltimeError, unavailable } from "./errors.ts";
export { createLogger, type Logger, REDACT_PATHS } from "./logger.ts";
export { Counter, createRegistry, Gauge, Histogram, LATENCY_BUCKETS, Registry } from "./metrics.ts";
export { type OpsServer, type OpsServerOptions, type Readiness, startOpsServer } from "./ops-server.ts";
export { onShutdown } from "./shutdown.ts";
export {
  extractTraceContext,
  inSpan,
  injectTraceHeaders,
  MAX_BATCH_LINKS,
  producerLinks,
  producerSpanContext,
  SpanKind,
  type Tracer,
  tracer,
} from "./tracing.ts";
