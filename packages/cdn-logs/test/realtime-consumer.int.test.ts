import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteStreamCommand, KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { type Bus, createBus } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { RecordingBus } from "@reeltime/testkit";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRealtimeConsumer } from "../src/realtime-consumer.ts";
import { realtimeFieldOrder } from "../src/realtime-fields.ts";
import { cmcdQuery, REALTIME_SUBSET, realtimeLine } from "./fixtures/cloudfront.ts";

// The local Kinesis emulator (`reeltime infra up`); shard leases in files under a scratch folder.
const endpoint = process.env.REELTIME_KINESIS_ENDPOINT ?? "http://127.0.0.1:4568";
const stream = `reeltime.cdn.realtime.test-${randomUUID().slice(0, 8)}`;
const fields = realtimeFieldOrder([...REALTIME_SUBSET, "x-edge-request-id", "cs-uri-query"]);
let dir: string;
let source: Bus;
// HTTP/1.1: the SDK's default HTTP/2 handler gets "Protocol error" from kinesis-local (infra/test/kinesis.int.test.ts).
const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler(), endpoint, region: "us-east-1" });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-cdn-rt-"));
  const env = loadEnv(ConnectionEnv, {
    REELTIME_BUS: "kinesis",
    REELTIME_KINESIS_ENDPOINT: endpoint,
    REELTIME_DATA_DIR: dir,
    REELTIME_KINESIS_LEASE_MS: "3000",
    REELTIME_KINESIS_POLL_MS: "200",
    AWS_REGION: "us-east-1",
  });
  source = await createBus(env);
  await source.start();
  await source.ensureTopics([{ name: stream, partitions: 1 }]);
});
afterAll(async () => {
  await source.shutdown();
  await kinesis.send(new DeleteStreamCommand({ StreamName: stream })).catch(() => {});
  kinesis.destroy();
  await rm(dir, { recursive: true, force: true });
});

/** Records as CloudFront writes them: one tab-separated line each, no framing. */
async function put(lines: string[]): Promise<void> {
  await kinesis.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: lines.map((l, i) => ({ Data: Buffer.from(`${l}\n`), PartitionKey: `p-${i}` })),
    }),
  );
}

async function until(what: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

const cdnEvents = (bus: RecordingBus) =>
  bus.published
    .filter((p) => p.topic === TOPICS.cdn)
    .flatMap(
      (p) => JSON.parse(new TextDecoder().decode(p.message.value)) as { cdn: { request_id?: string; sid?: string } }[],
    );

describe("the real-time log consumer on Kinesis (emulator)", () => {
  it("turns records into cdn events, dead-letters bad lines, and resumes from its checkpoint", async () => {
    const log = createLogger("cdn-realtime-test");
    const out1 = new RecordingBus();
    await put([
      realtimeLine(fields, { "x-edge-request-id": "rt-1", "cs-uri-query": cmcdQuery('sid="view-rt"') }),
      realtimeLine(fields, { "x-edge-request-id": "rt-2" }),
      "bad\trecord",
    ]);
    const first = await runRealtimeConsumer(
      { source, out: out1, log, registry: createRegistry("cdn-rt-1") },
      { stream, fields },
    );
    await until(() => cdnEvents(out1).length >= 2 && out1.published.some((p) => p.topic === TOPICS.deadLetter));
    await first.stop();
    expect(
      cdnEvents(out1)
        .map((e) => e.cdn.request_id)
        .sort(),
    ).toEqual(["rt-1", "rt-2"]);
    expect(cdnEvents(out1).find((e) => e.cdn.request_id === "rt-1")?.cdn.sid).toBe("view-rt");
    const letter = JSON.parse(
      new TextDecoder().decode(out1.published.find((p) => p.topic === TOPICS.deadLetter)!.message.value),
    ) as Record<string, unknown>;
    expect(letter).toMatchObject({
      stage: "cdn-realtime",
      reason: "cdn_field_count",
      topic: stream,
      payload: { line: 1 },
    });

    await put([realtimeLine(fields, { "x-edge-request-id": "rt-3" })]);
    const out2 = new RecordingBus();
    const second = await runRealtimeConsumer(
      { source, out: out2, log, registry: createRegistry("cdn-rt-2") },
      { stream, fields },
    );
    await until(() => cdnEvents(out2).length >= 1);
    await new Promise((r) => setTimeout(r, 1500));
    await second.stop();
    expect(cdnEvents(out2).map((e) => e.cdn.request_id)).toEqual(["rt-3"]);
  });
});
