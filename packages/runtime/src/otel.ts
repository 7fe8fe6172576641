// Started before the app with `node --import @reeltime/runtime/otel ...`. Configured only by
// the standard OTEL_* variables (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_TRACES_EXPORTER...). Does nothing unless OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_TRACES_EXPORTER is set, so the embedded default never tries to reach a collector.
// Fastify requests get spans through @fastify/otel; the trace context travels on in bus
// message headers (injectTraceHeaders); each processor batch is a consumer span linked to the
// producer spans of its messages (producerLinks). The local collector of `reeltime infra up`
// takes OTLP at OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4570 (docs/local-services.md).
import { FastifyOtelInstrumentation } from "@fastify/otel";
import { NodeSDK } from "@opentelemetry/sdk-node";

const configured = process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_TRACES_EXPORTER;
if (configured && process.env.OTEL_SDK_DISABLED !== "true") {
  // Metrics are Prometheus (/metrics) and logs pino JSON on stdout: the SDK sends traces only,
  // unless OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER ask for more (its default is otlp for both).
  process.env.OTEL_METRICS_EXPORTER ??= "none";
  process.env.OTEL_LOGS_EXPORTER ??= "none";
  const sdk = new NodeSDK({ instrumentations: [new FastifyOtelInstrumentation({ registerOnInitialization: true })] });
  sdk.start();
  // No SIGTERM listener here: one would keep a process that has no handler of its own alive, and
  // shutting down at the signal would drop the spans of the service's final flush.
  // onShutdown exports them (flushTraces) after the service closed.
  process.once("beforeExit", () => {
    sdk.shutdown().catch(() => undefined);
  });
}
