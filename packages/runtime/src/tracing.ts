import { type Context, context, propagation, type TextMapGetter, type TextMapSetter, trace } from "@opentelemetry/api";

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
