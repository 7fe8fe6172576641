import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from "@opentelemetry/api";

export type { Tracer } from "@opentelemetry/api";

const setter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};
const getter: TextMapGetter<Record<string, string>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** Writes the active trace context (`traceparent`, `tracestate`) into bus message headers. */
export function injectTraceHeaders(headers: Record<string, string> = {}, ctx: Context = context.active()) {
  propagation.inject(ctx, headers, setter);
  return headers;
}

/** The trace context carried by a consumed message, to parent the processing span. */
export function extractTraceContext(headers: Record<string, string>): Context {
  return propagation.extract(context.active(), headers, getter);
}

export const tracer = (name: string) => trace.getTracer(name);

/** Most links one batch span carries: a batch of 1,000 messages from 1,000 requests keeps the first 128. */
export const MAX_BATCH_LINKS = 128;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/**
 * The producer's span context in a message's headers: through the registered propagator (the
 * SDK's, configured by OTEL_PROPAGATORS), else read as a W3C `traceparent`, so links are kept
 * even where no SDK registered a propagator (tests with a tracer of their own).
 */
export function producerSpanContext(headers: Record<string, string>): SpanContext | undefined {
  const propagated = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, headers, getter));
  if (propagated && isSpanContextValid(propagated)) return propagated;
  const m = TRACEPARENT.exec(headers.traceparent?.trim().toLowerCase() ?? "");
  if (!m || m[1] === "ff") return undefined;
  const parsed: SpanContext = { traceId: m[2]!, spanId: m[3]!, traceFlags: Number.parseInt(m[4]!, 16), isRemote: true };
  return isSpanContextValid(parsed) ? parsed : undefined;
}

/** Links to the producers of these messages: one per distinct producer span, at most `max`. */
export function producerLinks(messages: Iterable<{ headers: Record<string, string> }>, max = MAX_BATCH_LINKS): Link[] {
  const links = new Map<string, Link>();
  for (const m of messages) {
    if (links.size >= max) break;
    const ctx = producerSpanContext(m.headers);
    if (ctx) links.set(`${ctx.traceId}-${ctx.spanId}`, { context: ctx });
  }
  return [...links.values()];
}

/**
 * Runs `work` in a new span (active for the spans `work` starts), ends it, and marks it as an
 * error when `work` throws (the error is rethrown unchanged).
 */
export async function inSpan<T>(
  t: Tracer,
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; links?: Link[] },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return t.startActiveSpan(name, { kind: SpanKind.INTERNAL, ...options }, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message?.slice(0, 200) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * Exports the spans the SDK still buffers (a no-op without one), waiting at most `timeoutMs`:
 * called after a service closed, so the spans of its last batches and final flush are kept.
 */
export async function flushTraces(timeoutMs = 3000): Promise<void> {
  const global = trace.getTracerProvider() as { getDelegate?: () => object };
  const provider = (global.getDelegate?.() ?? global) as { forceFlush?: () => Promise<void> };
  if (typeof provider.forceFlush !== "function") return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    provider.forceFlush().catch(() => undefined),
    new Promise((r) => {
      timer = setTimeout(r, timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

export { SpanKind };
