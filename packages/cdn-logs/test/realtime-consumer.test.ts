import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bus, createBus } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { RecordingBus } from "@reeltime/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkRealtimeFields, RealtimeLogProcessor, runRealtimeConsumer } from "../src/realtime-consumer.ts";
import { realtimeFieldOrder } from "../src/realtime-fields.ts";
import { REALTIME_SUBSET, realtimeLine } from "./fixtures/cloudfront.ts";

const fields = realtimeFieldOrder([...REALTIME_SUBSET, "x-edge-request-id"]);
const stream = "reeltime.cdn.realtime";
let dir: string;
let source: Bus;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-cdn-consumer-"));
  source = await createBus(loadEnv(ConnectionEnv, { REELTIME_BUS: "embedded", REELTIME_DATA_DIR: dir }));
  await source.start();
  await source.ensureTopics([{ name: stream, partitions: 1 }]);
});
afterEach(async () => {
  await source.shutdown();
  await rm(dir, { recursive: true, force: true });
});

async function until(what: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!what()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the real-time log consumer", () => {
  it("checks the field list: CloudFront's names, no repeats, the three a request needs", () => {
    expect(checkRealtimeFields(["sc-status", "timestamp", "cs-uri-stem"])).toEqual([
      "timestamp",
      "sc-status",
      "cs-uri-stem",
    ]);
    expect(() => checkRealtimeFields(["timestamp", "sc-status", "cs-uri"])).toThrow(
      expect.objectContaining({ code: "REELTIME_ERR_CDN_FIELDS" }),
    );
    expect(() => checkRealtimeFields(["timestamp", "sc-status"])).toThrow(/lacks cs-uri-stem/);
    expect(() => new RealtimeLogProcessor(new RecordingBus(), { stream, fields: ["timestamp"] })).toThrow(/lacks/);
  });

  it("publishes one event per line of raw records and letters bad lines, committing as it goes", async () => {
    const out = new RecordingBus();
    const enc = new TextEncoder();
    await source.publish(stream, [
      { key: "a", value: enc.encode(`${realtimeLine(fields, { "x-edge-request-id": "r-1" })}\n`) },
      { key: "b", value: enc.encode(`${realtimeLine(fields, { "x-edge-request-id": "r-2" })}\nbroken\n`) },
    ]);
    const running = await runRealtimeConsumer(
      { source, out, log: createLogger("cdn-realtime-test"), registry: createRegistry("cdn-rt-unit") },
      { stream, fields, samplingRate: 50, appId: "demo" },
    );
    await until(() => out.published.some((p) => p.topic === TOPICS.deadLetter));
    await running.stop();
    const events = out.published
      .filter((p) => p.topic === TOPICS.cdn)
      .flatMap((p) => JSON.parse(new TextDecoder().decode(p.message.value)) as { cdn: { request_id: string } }[]);
    expect(events.map((e) => e.cdn.request_id).sort()).toEqual(["r-1", "r-2"]);
    expect(events[0]).toMatchObject({ sample_rate: 0.5, app_id: "demo", cdn: { source: "cloudfront-realtime" } });
    const letter = JSON.parse(
      new TextDecoder().decode(out.published.find((p) => p.topic === TOPICS.deadLetter)!.message.value),
    ) as Record<string, unknown>;
    expect(letter).toMatchObject({
      stage: "cdn-realtime",
      reason: "cdn_field_count",
      topic: stream,
      payload: { line: 2, text: "broken" },
    });
    expect(String(letter.message)).toMatch(/line 2: 1 values/);
  });
});
