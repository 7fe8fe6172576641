export { ConnectionEnv, describeEnv, loadEnv, SECRET_VARS } from "./config.ts";
export {
  ERRORS,
  type ErrorCode,
  type ErrorSpec,
  type ExitClass,
  errorSpec,
  isErrorCode,
  type UpstreamCode,
} from "./error-codes.ts";
export {
  listenError,
  ReeltimeError,
  type ReeltimeErrorOptions,
  type UpstreamErrorOptions,
  unavailable,
} from "./errors.ts";
export { createLogger, type Logger, REDACT_PATHS } from "./logger.ts";
export { Counter, createRegistry, Gauge, Histogram, LATENCY_BUCKETS, Registry } from "./metrics.ts";
export { type OpsServer, type OpsServerOptions, type Readiness, startOpsServer } from "./ops-server.ts";
export { onShutdown } from "./shutdown.ts";
export {
  extractTraceContext,
  flushTraces,
  injectTraceHeaders,
  inSpan,
  MAX_BATCH_LINKS,
  producerLinks,
  producerSpanContext,
  SpanKind,
  type Tracer,
  tracer,
} from "./tracing.ts";
export { hideKafkajsTimerWarning } from "./warnings.ts";
