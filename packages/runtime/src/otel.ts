// Started before the app with `node --import @reeltime/runtime/otel ...`. Configured only by
// the standard OTEL_* variables (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_TRACES_EXPORTER...). Does nothing unless OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_TRACES_EXPORTER is set, so the embedded default never tries to reach a collector.
// Fastify requests get spans through @fastify/otel; the trace context travels on in bus
// message headers (injectTraceHeaders / extractTraceContext).
import { FastifyOtelInstrumentation } from "@fastify/otel";
import { NodeSDK } from "@opentelemetry/sdk-node";

const configured = process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_TRACES_EXPORTER;
if (configured && process.env.OTEL_SDK_DISABLED !== "true") {
  const sdk = new NodeSDK({ instrumentations: [new FastifyOtelInstrumentation({ registerOnInitialization: true })] });
  sdk.start();
  const stop = () => {
    sdk.shutdown().catch(() => undefined);
  };
  process.once("SIGTERM", stop);
  process.once("beforeExit", stop);
}
