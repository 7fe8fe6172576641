// The subscription's ownership and barriers, driven by hand: @platformatic/kafka's Consumer and its
// message stream are replaced by doubles that emit the library's events and messages, so what is
// delivered, dropped, re-fetched and committed is checked without a broker.
import { EventEmitter } from "node:events";
import { Readable } from "node:stream";
import type { ConsumedBatch } from "@reeltime/ports";
import { afterEach, describe, expect, it, vi } from "vitest";

const consumers: FakeConsumer[] = [];

class FakeStream extends Readable {
  readonly offsetsToFetch = new Map<string, bigint>();
  constructor() {
    super({ objectMode: true, read() {} });
  }
  async close() {
    if (this.destroyed) return;
    this.push(null);
    this.destroy();
  }
}

class FakeConsumer extends EventEmitter {
  generationId = 0;
  assignments: { topic: string; partitions: number[] }[] | null = null;
  readonly committed = new Map<string, bigint>();
  readonly commits: { topic: string; partition: number; offset: bigint }[][] = [];
  readonly stream = new FakeStream();
  ends = new Map<string, bigint>();
  readonly options: Record<string, unknown>;
  constructor(options: Record<string, unknown>) {
    super();
    this.options = options;
    consumers.push(this);
  }
  async consume() {
    return this.stream;
  }
  async listCommittedOffsets({ topics }: { topics: { topic: string; partitions: number[] }[] }) {
    return new Map(topics.map((t) => [t.topic, t.partitions.map((p) => this.committed.get(`${t.topic}:${p}`) ?? -1n)]));
  }
  async listOffsets({ topics, timestamp }: { topics: string[]; timestamp: bigint }) {
    return new Map(
      topics.map((t) => [t, [0, 1, 2, 3].map((p) => (timestamp === -2n ? 0n : (this.ends.get(`${t}:${p}`) ?? 0n)))]),
    );
  }
  async commit({ offsets }: { offsets: { topic: string; partition: number; offset: bigint }[] }) {
    this.commits.push(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
    for (const o of offsets) this.committed.set(`${o.topic}:${o.partition}`, o.offset);
  }
  async close() {
    await this.stream.close();
  }
  /** The coordinator's answer to a join: a generation and this member's partitions. */
  join(generationId: number, partitions: number[]) {
    this.generationId = generationId;
    this.assignments = [{ topic: "t", partitions }];
    this.emit("consumer:group:join", { groupId: "g", memberId: "m", generationId, assignments: this.assignments });
  }
  /** A message as the library pushes it: stamped with the generation current at fetch time. */
  deliver(partition: number, offset: number, generationId = this.generationId) {
    this.stream.push({
      topic: "t",
      partition,
      offset: BigInt(offset),
      key: "k",
      value: Buffer.from(`m${offset}`),
      headers: new Map([["h", "v"]]),
      timestamp: 1n,
      leaderEpoch: 0,
      metadata: { consumer: { generationId } },
    });
  }
}

vi.mock("@platformatic/kafka", () => ({
  Consumer: FakeConsumer,
  ListOffsetTimestamps: { LATEST: -1n, EARLIEST: -2n },
  MessagesStreamModes: { COMMITTED: "committed" },
  MessagesStreamFallbackModes: { EARLIEST: "earliest", LATEST: "latest" },
  stringDeserializer: (b?: Buffer) => b?.toString(),
  findErrorBy: (e: Error & { needsRejoin?: boolean }, key: string, value: unknown) =>
    (e as unknown as Record<string, unknown>)[key] === value ? e : null,
}));

const { PlatformaticSubscription } = await import("../src/subscription.ts");

const env = {
  REELTIME_KAFKA_BROKERS: "127.0.0.1:1",
  REELTIME_KAFKA_CLIENT_ID: "test",
  REELTIME_KAFKA_SSL: false,
  REELTIME_KAFKA_COMPRESSION: "zstd",
  REELTIME_KAFKA_LINGER_MS: 5,
  REELTIME_PARTITIONS: 4,
  REELTIME_BUS_TIMEOUT_MS: 4000,
} as const;

const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

async function subscribe(commit: "after-handler" | "manual" = "after-handler") {
  const batches: ConsumedBatch[] = [];
  const sub = new PlatformaticSubscription(env, {
    group: "g",
    topics: ["t"],
    commit,
    handler: async (b) => void batches.push(b),
  });
  const consumer = consumers.at(-1)!;
  const offsets = () => batches.flatMap((b) => b.messages.map((m) => `${m.partition}/${m.offset}`));
  return { sub, consumer, batches, offsets };
}

afterEach(() => {
  consumers.length = 0;
});

describe("@platformatic/kafka subscription", () => {
  it("starts each partition at its commit: earlier and stale-generation messages are dropped and the stream sent back", async () => {
    const { sub, consumer, batches, offsets } = await subscribe();
    consumer.committed.set("t:0", 5n);
    consumer.ends.set("t:0", 9n);
    consumer.join(1, [0]);
    await sub.start();
    await until("the barrier", () => consumer.stream.offsetsToFetch.get("t:0") === 5n);
    // A fetch from before the join (generation 0), then one that ran ahead of the commit and moved
    // the library's position on.
    consumer.deliver(0, 7, 0);
    consumer.stream.offsetsToFetch.set("t:0", 9n);
    consumer.deliver(0, 8);
    await until("the stream sent back", () => consumer.stream.offsetsToFetch.get("t:0") === 5n);
    expect(batches).toHaveLength(0);
    for (const o of [5, 6, 7]) consumer.deliver(0, o);
    await until("three messages", () => offsets().length === 3);
    expect(offsets()).toEqual(["0/5", "0/6", "0/7"]);
    expect(batches[0]!.messages[0]).toMatchObject({ topic: "t", key: "k", headers: { h: "v" }, timestamp: 1 });
    // After the handler: committed through the last message (the next offset to read, 8).
    await until("the commit", () => consumer.committed.get("t:0") === 8n);
    // A duplicate below what was delivered is dropped.
    consumer.deliver(0, 6);
    consumer.deliver(0, 8);
    await until("the next message", () => offsets().length === 4);
    expect(offsets().at(-1)).toBe("0/8");
    await sub.stop();
  });

  it("a rebalance takes every partition away until the next join, which is a new hold", async () => {
    const { sub, consumer, offsets } = await subscribe();
    consumer.join(1, [0, 1]);
    await sub.start();
    await until("owned", () => sub.assignments().length === 2);
    const before = sub.hold("t", "1");
    expect(before).toBeTypeOf("number");
    consumer.emit("consumer:group:rebalance", { groupId: "g" });
    expect(sub.assignments()).toEqual([]);
    expect(sub.hold("t", "1")).toBeUndefined();
    consumer.deliver(1, 0);
    await new Promise((r) => setTimeout(r, 30));
    expect(offsets()).toEqual([]);
    consumer.join(2, [1]);
    await until("owned again", () => sub.hold("t", "1") !== undefined);
    expect(sub.hold("t", "1")).not.toBe(before);
    expect(sub.hold("t", "0")).toBeUndefined();
    consumer.deliver(1, 0);
    await until("delivered under the new hold", () => offsets().length === 1);
    // A fenced heartbeat also takes the partitions away.
    consumer.emit("consumer:heartbeat:error", { error: Object.assign(new Error("fenced"), { needsRejoin: true }) });
    expect(sub.assignments()).toEqual([]);
    await sub.stop();
  });

  it("rereads a partition from its commit under a new hold; what was buffered after it is dropped, not delivered twice", async () => {
    const { sub, consumer, offsets } = await subscribe("manual");
    consumer.join(1, [0]);
    await sub.start();
    for (const o of [0, 1, 2, 3, 4]) consumer.deliver(0, o);
    await until("five messages", () => offsets().length === 5);
    await sub.commit([{ topic: "t", partition: "0", offset: "1" }]);
    await sub.commit([{ topic: "t", partition: "0", offset: "0" }]); // backwards: not sent
    expect(consumer.commits.map((c) => c.map((o) => o.offset))).toEqual([[2n]]);
    const hold = sub.hold("t", "0");
    await sub.reread("t", "0");
    expect(sub.hold("t", "0")).not.toBe(hold);
    expect(consumer.stream.offsetsToFetch.get("t:0")).toBe(2n);
    // A fetch that was in flight across the reread: it moved the library's position past 5.
    consumer.stream.offsetsToFetch.set("t:0", 6n);
    consumer.deliver(0, 5);
    await until("the stream sent back", () => consumer.stream.offsetsToFetch.get("t:0") === 2n);
    for (const o of [2, 3, 4, 5]) consumer.deliver(0, o);
    await until("the four again", () => offsets().length === 9);
    expect(offsets().slice(5)).toEqual(["0/2", "0/3", "0/4", "0/5"]);
    await sub.reread("t", "9");
    expect(sub.hold("t", "9")).toBeUndefined();
    await sub.stop();
  });
});
