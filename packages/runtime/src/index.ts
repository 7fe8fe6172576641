// What other workspaces import from the runtime library, nothing more.
export { ConnectionEnv, describeEnv, loadEnv } from "./config.ts";
export { ERRORS, type ErrorCode, type ErrorSpec, type ExitClass, isErrorCode } from "./error-codes.ts";
export { listenError, ReeltimeError, unavailable } from "./errors.ts";
export { stableEventId } from "./event-id.ts";
export { isoTime } from "./iso-time.ts";
export { createLogger, type Logger } from "./logger.ts";
export { Counter, createRegistry, Gauge, Histogram, LATENCY_BUCKETS, Registry } from "./metrics.ts";
export { type OpsServer, type OpsServerOptions, type Readiness, startOpsServer } from "./ops-server.ts";
export { onShutdown } from "./shutdown.ts";
export { sleep } from "./sleep.ts";
export {
  flushTraces,
  injectTraceHeaders,
  inSpan,
  MAX_BATCH_LINKS,
  producerLinks,
  SpanKind,
  type Tracer,
  tracer,
} from "./tracing.ts";
export { hideKafkajsTimerWarning } from "./warnings.ts";
