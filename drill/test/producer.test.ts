import { type Bus, type BusMessage, MAX_MESSAGE_BYTES, splitRecord } from "@reeltime/connectors";
import { syntheticEvents } from "@reeltime/testkit/workload";
import { describe, expect, it } from "vitest";
import { countFailures, sumMetric } from "../src/instance.ts";
import { PacedProducer } from "../src/producer.ts";

/**
 * A bus that keeps the event ids it acknowledged (batch records split as a consumer splits them)
 * and refuses the calls listed in `refuse` (1-based).
 */
function fakeBus(refuse: number[] = []) {
  const ids: string[] = [];
  let calls = 0;
  const bus = {
    maxMessageBytes: MAX_MESSAGE_BYTES,
    async publish(topic: string, messages: BusMessage[]) {
      calls++;
      await new Promise((r) => setTimeout(r, 1));
      if (refuse.includes(calls)) throw new Error("bus unavailable");
      for (const [i, m] of messages.entries()) {
        const content = splitRecord({ topic, partition: "0", offset: String(i), timestamp: 0, headers: {}, ...m });
        if (!("messages" in content)) throw new Error(content.unreadable.message);
        for (const e of content.messages)
          ids.push((JSON.parse(new TextDecoder().decode(e.value)) as { event_id: string }).event_id);
      }
    },
  } as unknown as Bus;
  return { bus, ids };
}

describe("PacedProducer", () => {
  const events = syntheticEvents(400, { unit: "events" });

  it("publishes every event once, in batches, retrying what the bus refused", async () => {
    const { bus, ids } = fakeBus([2, 3]);
    const p = new PacedProducer(bus, events, { eventsPerSecond: 1_000_000, batch: 50 });
    await p.start();
    expect(p.published).toBe(events.length);
    expect(p.retries).toBeGreaterThanOrEqual(1);
    expect(new Set(ids).size).toBe(events.length);
  });

  it("publishes nothing while paused, and goes on after resume", async () => {
    const { bus, ids } = fakeBus();
    const p = new PacedProducer(bus, events, { eventsPerSecond: 5000, batch: 50 });
    const done = p.start();
    await new Promise((r) => setTimeout(r, 30));
    await p.pause();
    const held = ids.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(ids.length).toBe(held);
    expect(held).toBeLessThan(events.length);
    p.resume();
    await done;
    expect(ids.length).toBe(events.length);
  });

  it("keeps its rate: 200 events at 2000/s take about 0.1 s, not less", async () => {
    const { bus } = fakeBus();
    const p = new PacedProducer(bus, events.slice(0, 200), { eventsPerSecond: 2000, batch: 50 });
    const t = Date.now();
    await p.start();
    // Four batches, three waits of 25 ms between them.
    expect(Date.now() - t).toBeGreaterThanOrEqual(70);
  });
});

describe("drill instance probes", () => {
  it("sums a metric's samples, optionally for some labels", () => {
    const text = [
      "# HELP reeltime_consumer_lag_messages x",
      'reeltime_consumer_lag_messages{group="g",topic="t",partition="0"} 3',
      'reeltime_consumer_lag_messages{group="g",topic="t",partition="1"} 4',
      'reeltime_consumer_lag_messages_other{group="g"} 100',
    ].join("\n");
    expect(sumMetric(text, "reeltime_consumer_lag_messages")).toBe(7);
    expect(sumMetric(text, "reeltime_consumer_lag_messages", { partition: "1" })).toBe(4);
    expect(sumMetric(text, "reeltime_processor_messages_total")).toBeUndefined();
  });

  it("counts failed writes to one store, per processor, within a window", () => {
    const line = (at: string, message: string, err?: string) =>
      JSON.stringify({ "log.level": "warn", "@timestamp": at, ...(err ? { err: { message: err } } : {}), message });
    const es = "search unavailable: _bulk failed at http://127.0.0.1:9200 after 6 attempts: connect ECONNREFUSED";
    const s3 = 'archive unavailable: S3 put "x" in bucket "reeltime-archive" failed after retries';
    const text = [
      line("2026-12-03T07:00:00.000Z", "indexer: tick failed", es),
      line("2026-12-03T07:00:05.000Z", "indexer: batch failed, it will be delivered again", es),
      line("2026-12-03T07:00:06.000Z", "view-archiver: batch failed, it will be delivered again", s3),
      line("2026-12-03T07:00:07.000Z", "indexer: tick failed, tried again after a backoff", es),
      line("2026-12-03T07:00:07.500Z", "sessionizer: tick failed", es),
      line("2026-12-03T07:00:07.600Z", "archiver: tick failed", "bus unavailable: kafka did not commit offsets"),
      line("2026-12-03T07:00:08.000Z", "indexer: partition taken again, state reloaded"),
      "not json search unavailable",
      line("2026-12-03T07:01:00.000Z", "indexer: tick failed", es),
    ].join("\n");
    const from = Date.parse("2026-12-03T07:00:01.000Z");
    const to = Date.parse("2026-12-03T07:00:30.000Z");
    expect(Object.fromEntries(countFailures(text, "search", from, to))).toEqual({ indexer: 2, sessionizer: 1 });
    expect(Object.fromEntries(countFailures(text, "archive", from, to))).toEqual({ "view-archiver": 1 });
  });
});
