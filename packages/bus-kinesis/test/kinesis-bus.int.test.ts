import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteStreamCommand, KinesisClient, ListStreamsCommand } from "@aws-sdk/client-kinesis";
import type { ConsumedMessage } from "@reeltime/ports";
import { busConformance, closedPort } from "@reeltime/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsCheckpointStore } from "../src/checkpoints-fs.ts";
import { createKinesisBus, type KinesisBusEnv } from "../src/kinesis-bus.ts";

const root = await mkdtemp(join(tmpdir(), "reeltime-kinesis-"));
afterAll(() => rm(root, { recursive: true, force: true }));

const ENDPOINT = process.env.REELTIME_KINESIS_ENDPOINT ?? "http://127.0.0.1:4568";

const env = (extra: Partial<KinesisBusEnv> = {}): KinesisBusEnv => ({
  REELTIME_DATA_DIR: root,
  REELTIME_KINESIS_ENDPOINT: ENDPOINT,
  REELTIME_KINESIS_LEASE_MS: 3000,
  REELTIME_KINESIS_POLL_MS: 200,
  REELTIME_PARTITIONS: 4,
  REELTIME_BUS_TIMEOUT_MS: 60_000,
  AWS_REGION: "us-east-1",
  ...extra,
});

/**
 * kinesis-local allows 50 shards in all and the Bus port has no delete: streams made by these
 * tests (and left by interrupted runs) are deleted through the SDK before and after.
 */
async function deleteTestStreams(): Promise<void> {
  const client = new KinesisClient({
    endpoint: ENDPOINT,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  // Best effort, retried: kinesis-local's HTTP/2 side now and then resets a session.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const names = (await client.send(new ListStreamsCommand({ Limit: 10_000 }))).StreamNames ?? [];
      for (const name of names.filter((n) => /^rt-(conf|lease|dbg)/.test(n))) {
        await client.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
      }
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  client.destroy();
}
beforeAll(deleteTestStreams);
afterAll(deleteTestStreams);

const down = await closedPort();
busConformance("kinesis", async () => createKinesisBus(env()), {
  makeUnavailableBus: async () =>
    createKinesisBus(env({ REELTIME_KINESIS_ENDPOINT: `http://127.0.0.1:${down}`, REELTIME_BUS_TIMEOUT_MS: 4000 })),
  // kinesis-local moves about 0.5 MB/s on this machine: the large-batch test needs the time.
  deliveryTimeoutMs: 90_000,
  partitions: 3,
});

describe("kinesis bus: leases", () => {
  it("takes over a shard whose owner stopped renewing (crashed) once the lease expired, from its checkpoint", async () => {
    const bus = createKinesisBus(env());
    const stream = `rt-lease-${randomUUID().slice(0, 8)}`;
    const group = `${stream}-g`;
    await bus.ensureTopics([{ name: stream, partitions: 1 }]);
    await bus.publish(
      stream,
      Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: new TextEncoder().encode(String(i)) })),
    );
    const first: ConsumedMessage[] = [];
    const seen = await bus.consume({ group, topics: [stream], handler: async (b) => void first.push(...b.messages) });
    const deadline = Date.now() + 20_000;
    while (first.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await seen.stop();
    const third = first[2] as ConsumedMessage;

    const store = new FsCheckpointStore(root);
    const [lease] = await store.list(group, stream);
    expect(lease?.checkpoint).toBe((first.at(-1) as ConsumedMessage).offset);
    const { version, ...rest } = lease as NonNullable<typeof lease>;
    await store.put(
      { ...rest, owner: "crashed-instance", expiresAt: Date.now() + 1500, checkpoint: third.offset },
      version,
    );

    const got: ConsumedMessage[] = [];
    const started = Date.now();
    const sub = await bus.consume({ group, topics: [stream], handler: async (b) => void got.push(...b.messages) });
    expect(sub.assignments()).toEqual([]);
    while (got.length < 3 && Date.now() < started + 20_000) await new Promise((r) => setTimeout(r, 50));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(got.map((m) => new TextDecoder().decode(m.value))).toEqual(
      first.slice(3).map((m) => new TextDecoder().decode(m.value)),
    );
    await sub.stop();
    await bus.shutdown();
  });
});
