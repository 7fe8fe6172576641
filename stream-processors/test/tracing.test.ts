import { randomBytes } from "node:crypto";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { Bus, ConsumedBatch, ConsumedMessage, ConsumeOptions, Subscription } from "@reeltime/connectors";
import { type Processor, processorMetrics, runProcessor } from "@reeltime/processing";
import { createLogger, createRegistry, flushTraces, inSpan, MAX_BATCH_LINKS, tracer } from "@reeltime/runtime";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const testTracer = provider.getTracer("tracing-test");

beforeAll(() => {
  // Children find their parent through the active context, as under the Node SDK.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(async () => {
  context.disable();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

/** A producer span as ingest would send it: random ids, written as a W3C traceparent. */
function producer() {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

function message(offset: number, headers: Record<string, string>): ConsumedMessage {
  return {
    topic: "reeltime.playback",
    partition: "3",
    offset: String(offset),
    key: "view-1",
    value: new TextEncoder().encode("{}"),
    headers,
    timestamp: Date.now(),
  };
}

/** A bus that delivers exactly the batches the test hands it, to the handler runProcessor registered. */
function handBus() {
  let options: ConsumeOptions | undefined;
  const subscription: Subscription = {
    commit: async () => {},
    assignments: () => [],
    hold: () => 1,
    reread: async () => {},
    lag: async () => [],
    stop: async () => {},
  };
  const bus = {
    driver: "kafka",
    maxMessageBytes: 1 << 20,
    start: async () => {},
    health: async () => ({ ok: true }),
    shutdown: async () => {},
    ensureTopics: async () => {},
    publish: async () => {},
    consume: async (o: ConsumeOptions) => {
      options = o;
      return subscription;
    },
  } as unknown as Bus;
  return {
    bus,
    /** Delivers one batch; resolves with the handler's error, if any (as the bus would see it). */
    deliver: async (batch: ConsumedBatch) => {
      try {
        await options!.handler(batch);
        return undefined;
      } catch (err) {
        return err;
      }
    },
  };
}

async function run(handle: Processor["handle"]) {
  const hand = handBus();
  const running = await runProcessor(
    { name: "indexer", group: "reeltime-indexer", topics: ["reeltime.playback"], commit: "after-handler", handle },
    {
      bus: hand.bus,
      log: createLogger("tracing-test", { level: "silent" }),
      metrics: processorMetrics(createRegistry("tracing-test")),
      tracer: testTracer,
    },
  );
  return { ...hand, running };
}

describe("processor batch spans", () => {
  it("one consumer span per batch, linked to exactly the distinct producer spans of its messages", async () => {
    const a = producer();
    const b = producer();
    const { deliver, running } = await run(async () => {});
    try {
      const err = await deliver({
        topic: "reeltime.playback",
        partition: "3",
        messages: [
          message(10, { traceparent: a.traceparent, schema_version: "1" }),
          message(11, { traceparent: b.traceparent }),
          // Same request as the first (ingest gives every event of a request the same headers).
          message(12, { traceparent: a.traceparent }),
          // No trace context, or a malformed one: no link.
          message(13, {}),
          message(14, { traceparent: "00-zz-not-a-context" }),
        ],
      });
      expect(err).toBeUndefined();
    } finally {
      await running.stop();
    }
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    const span = spans[0]!;
    expect(span.name).toBe("process reeltime.playback");
    expect(span.kind).toBe(SpanKind.CONSUMER);
    // The batch has no single parent: it starts its own trace, tied to the producers by links.
    expect([a.traceId, b.traceId]).not.toContain(span.spanContext().traceId);
    const linked = span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId }));
    expect(linked).toHaveLength(2);
    expect(linked).toEqual(
      expect.arrayContaining([
        { traceId: a.traceId, spanId: a.spanId },
        { traceId: b.traceId, spanId: b.spanId },
      ]),
    );
    expect(span.attributes).toMatchObject({
      "messaging.system": "kafka",
      "messaging.operation.type": "process",
      "messaging.destination.name": "reeltime.playback",
      "messaging.destination.partition.id": "3",
      "messaging.consumer.group.name": "reeltime-indexer",
      "messaging.batch.message_count": 5,
      "reeltime.processor": "indexer",
      "reeltime.batch.first_offset": "10",
      "reeltime.batch.last_offset": "14",
    });
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it("keeps at most MAX_BATCH_LINKS links", async () => {
    const producers = Array.from({ length: MAX_BATCH_LINKS + 22 }, producer);
    const { deliver, running } = await run(async () => {});
    try {
      await deliver({
        topic: "reeltime.playback",
        partition: "3",
        messages: producers.map((p, i) => message(i, { traceparent: p.traceparent })),
      });
    } finally {
      await running.stop();
    }
    const [span] = exporter.getFinishedSpans();
    expect(span!.links).toHaveLength(MAX_BATCH_LINKS);
    const expected = new Set(producers.slice(0, MAX_BATCH_LINKS).map((p) => p.spanId));
    expect(span!.links.every((l) => expected.has(l.context.spanId))).toBe(true);
  });

  it("parents the spans the handler starts and records a failed batch as an error", async () => {
    const p = producer();
    const { deliver, running } = await run(async () => {
      await inSpan(testTracer, "index events", {}, async () => {});
      throw Object.assign(new Error("search unavailable: connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    });
    let err: unknown;
    try {
      err = await deliver({
        topic: "reeltime.playback",
        partition: "3",
        messages: [message(1, { traceparent: p.traceparent })],
      });
    } finally {
      await running.stop();
    }
    expect((err as Error).message).toMatch(/search unavailable/);
    const spans = exporter.getFinishedSpans();
    const batch = spans.find((s) => s.name === "process reeltime.playback")!;
    const child = spans.find((s) => s.name === "index events")!;
    expect(child.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
    expect(child.spanContext().traceId).toBe(batch.spanContext().traceId);
    expect(batch.status.code).toBe(SpanStatusCode.ERROR);
    expect(batch.events.some((e) => e.name === "exception")).toBe(true);
  });

  it("creates no span through the default tracer while no SDK is registered", async () => {
    expect(trace.getTracerProvider().getTracer("x").startSpan("probe").isRecording()).toBe(false);
  });

  it("flushTraces exports what the SDK still buffers (the spans of a service's final flush, before exit)", async () => {
    const buffered = new InMemorySpanExporter();
    const sdk = new TracerProvider({
      spanProcessors: [new BatchSpanProcessor({ exporter: buffered, scheduledDelayMillis: 60_000 })],
    });
    trace.setGlobalTracerProvider(sdk);
    try {
      tracer("@reeltime/stream-processors").startSpan("final flush").end();
      expect(buffered.getFinishedSpans()).toHaveLength(0);
      await flushTraces();
      expect(buffered.getFinishedSpans().map((s) => s.name)).toEqual(["final flush"]);
    } finally {
      trace.disable();
      await sdk.shutdown();
    }
  });
});
