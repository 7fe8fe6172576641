import { randomUUID } from "node:crypto";
import { DeleteTableCommand, DescribeTableCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { CheckpointStore, ConsumedMessage, Lease } from "@reeltime/ports";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DynamoDbCheckpointStore } from "../src/checkpoints-dynamodb.ts";
import { createCheckpointStore } from "../src/kinesis-bus.ts";
import { KinesisSubscription } from "../src/subscription.ts";
import { FakeKinesis, startDynalite } from "./lease-harness.ts";

const dyn = await startDynalite();
afterAll(() => dyn.close());

const LEASE_MS = 1200;
const newStore = () => new DynamoDbCheckpointStore(dyn.client, `leases-${randomUUID().slice(0, 8)}`);
const fresh = (shard: string, extra: Partial<Lease> = {}): Omit<Lease, "version"> => ({
  group: "g",
  stream: "s",
  shard,
  owner: null,
  expiresAt: 0,
  checkpoint: null,
  finished: false,
  ...extra,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<number> {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
  return Date.now() - start;
}

const running: KinesisSubscription[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((s) => s.stop()));
});

function subscribe(
  kinesis: FakeKinesis,
  store: DynamoDbCheckpointStore,
  handler: (m: ConsumedMessage[]) => void = () => {},
): KinesisSubscription {
  const sub = new KinesisSubscription(
    { client: kinesis.client, store, leaseMs: LEASE_MS, pollMs: 200, endpoint: "fake" },
    { group: "g", topics: ["s"], handler: async (b) => handler(b.messages) },
  );
  running.push(sub);
  return sub;
}

describe("DynamoDbCheckpointStore: conditional writes", () => {
  it("lets exactly one of 12 concurrent creators create a lease row", async () => {
    const store = newStore();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => store.put(fresh("shardId-0", { owner: `w${i}` }), 0)),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    const [row] = await store.list("g", "s");
    expect(row?.owner).toBe(winners[0]?.owner);
    expect(row?.version).toBe(1);
  });

  it("lets exactly one of two takers win the same leaseCounter; the loser's later write is refused too", async () => {
    const store = newStore();
    const base = (await store.put(fresh("shardId-0"), 0)) as Lease;
    const [a, b] = await Promise.all([
      store.put({ ...fresh("shardId-0"), owner: "A", expiresAt: Date.now() + 5000 }, base.version),
      store.put({ ...fresh("shardId-0"), owner: "B", expiresAt: Date.now() + 5000 }, base.version),
    ]);
    expect([a, b].filter((r) => r !== null)).toHaveLength(1);
    const winner = (a ?? b) as Lease;
    const [row] = await store.list("g", "s");
    expect(row?.owner).toBe(winner.owner);
    expect(row?.version).toBe(base.version + 1);
    // a checkpoint from the loser, based on the counter it read before, fails
    expect(await store.put({ ...fresh("shardId-0"), owner: "loser", checkpoint: "5:0" }, base.version)).toBeNull();
    // a renewal by the winner based on the current counter succeeds and moves the counter
    const renewed = await store.put({ ...fresh("shardId-0"), owner: winner.owner }, winner.version);
    expect(renewed?.version).toBe(winner.version + 1);
  });

  it("counts a write retried after its answer was lost once, and still refuses a different write on the same counter", async () => {
    const store = newStore();
    const base = (await store.put(fresh("shardId-0"), 0)) as Lease;
    const take = { ...fresh("shardId-0"), owner: "A", expiresAt: 1234, checkpoint: "7:0" };
    const first = await store.put(take, base.version);
    // the SDK's retry of the same PutItem: its condition fails, the row is that very write
    const again = await store.put(take, base.version);
    expect(again).toEqual(first);
    expect((await store.list("g", "s"))[0]?.version).toBe(base.version + 1);
    expect(await store.put({ ...take, owner: "B" }, base.version)).toBeNull();
    expect(await store.put({ ...take, checkpoint: "8:0" }, base.version)).toBeNull();
  });

  it("keeps KCL's attributes: leaseKey, leaseOwner, leaseCounter, checkpoint (TRIM_HORIZON, sequence + sub, SHARD_END), parentShardIds, ownerSwitchesSinceCheckpoint", async () => {
    const table = `leases-${randomUUID().slice(0, 8)}`;
    const store = new DynamoDbCheckpointStore(dyn.client, table);
    const raw = async () =>
      (
        await dyn.client.send(
          new GetItemCommand({
            TableName: table,
            Key: { leaseGroup: { S: "g|s" }, leaseKey: { S: "shardId-2" } },
            ConsistentRead: true,
          }),
        )
      ).Item;
    const created = (await store.put(fresh("shardId-2", { parents: ["shardId-1", "shardId-0"] }), 0)) as Lease;
    let item = await raw();
    expect(item?.checkpoint?.S).toBe("TRIM_HORIZON");
    expect(item?.leaseOwner).toBeUndefined();
    expect(item?.leaseCounter?.N).toBe("1");
    expect(item?.parentShardIds?.SS?.slice().sort()).toEqual(["shardId-0", "shardId-1"]);
    expect(Number(item?.ttl?.N)).toBeGreaterThan(Date.now() / 1000 + 30 * 86_400);

    const mid = (await store.put(
      {
        ...fresh("shardId-2", { parents: ["shardId-0", "shardId-1"] }),
        owner: "A",
        checkpoint: "49590:3",
        ownerSwitches: 2,
      },
      created.version,
    )) as Lease;
    item = await raw();
    expect(item?.leaseOwner?.S).toBe("A");
    expect(item?.checkpoint?.S).toBe("49590");
    expect(item?.checkpointSubSequenceNumber?.N).toBe("3");
    expect(item?.ownerSwitchesSinceCheckpoint?.N).toBe("2");
    const [read] = await store.list("g", "s");
    expect(read).toMatchObject({ owner: "A", checkpoint: "49590:3", ownerSwitches: 2, finished: false, version: 2 });

    await store.put({ ...fresh("shardId-2"), checkpoint: "49600:0", finished: true }, mid.version);
    item = await raw();
    expect(item?.checkpoint?.S).toBe("SHARD_END");
    const [done] = await store.list("g", "s");
    expect(done).toMatchObject({ finished: true, checkpoint: "49600:0", owner: null, version: 3 });
  });

  it("creates a missing table on first use, with leaseGroup/leaseKey keys and on-demand billing", async () => {
    const table = `leases-${randomUUID().slice(0, 8)}`;
    const store = new DynamoDbCheckpointStore(dyn.client, table);
    expect(await store.list("g", "s")).toEqual([]);
    const desc = (await dyn.client.send(new DescribeTableCommand({ TableName: table }))).Table;
    expect(desc?.KeySchema).toEqual([
      { AttributeName: "leaseGroup", KeyType: "HASH" },
      { AttributeName: "leaseKey", KeyType: "RANGE" },
    ]);
    expect(desc?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    await dyn.client.send(new DeleteTableCommand({ TableName: table }));
  });

  it("answers an unreachable DynamoDB with a retryable bus-unavailable error", async () => {
    const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
    const client = new DynamoDBClient({
      endpoint: "http://127.0.0.1:9",
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "y" },
      maxAttempts: 1,
    });
    const store = new DynamoDbCheckpointStore(client, "leases-x", { endpoint: "http://127.0.0.1:9" });
    await expect(store.list("g", "s")).rejects.toMatchObject({ code: "REELTIME_ERR_BUS_UNAVAILABLE", retryable: true });
    client.destroy();
  });
});

describe("lease store selection", () => {
  const env = {
    REELTIME_DATA_DIR: "/nonexistent",
    REELTIME_KINESIS_LEASE_MS: 10_000,
    REELTIME_KINESIS_POLL_MS: 1000,
    REELTIME_PARTITIONS: 4,
    REELTIME_BUS_TIMEOUT_MS: 4000,
    AWS_REGION: "us-east-1",
  };

  it("refuses filesystem leases in production with one line naming the fix", async () => {
    const err = await createCheckpointStore(
      { ...env, REELTIME_KINESIS_LEASES: "fs" },
      { REELTIME_ENV: "production" },
    ).then(
      () => null,
      (e: unknown) => e as Error & { code: string },
    );
    expect(err?.code).toBe("REELTIME_ERR_CONFIG");
    expect(err?.message).toContain("REELTIME_KINESIS_LEASES=dynamodb");
    expect(err?.message).not.toContain("\n");
  });

  it("keeps filesystem leases in development and uses the DynamoDB table when chosen", async () => {
    const fs = await createCheckpointStore({ ...env, REELTIME_KINESIS_LEASES: "fs" }, {});
    expect(fs.store.constructor.name).toBe("FsCheckpointStore");
    const table = `leases-${randomUUID().slice(0, 8)}`;
    const db = await createCheckpointStore(
      {
        ...env,
        REELTIME_KINESIS_LEASES: "dynamodb",
        REELTIME_KINESIS_LEASE_TABLE: table,
        REELTIME_DYNAMODB_ENDPOINT: dyn.endpoint,
      },
      { REELTIME_ENV: "production" },
    );
    expect(db.store).toBeInstanceOf(DynamoDbCheckpointStore);
    expect(await db.store.put(fresh("shardId-0"), 0)).toMatchObject({ version: 1 });
    expect(await new DynamoDbCheckpointStore(dyn.client, table).list("g", "s")).toHaveLength(1);
    db.close();
  });
});

describe("KinesisSubscription on DynamoDB leases", { timeout: 30_000 }, () => {
  it("two instances started together split six shards 3/3 and then stay put, never both holding one", async () => {
    const kinesis = new FakeKinesis();
    for (let i = 0; i < 6; i++) kinesis.addShard(`shardId-${i}`);
    const store = newStore();
    const a = subscribe(kinesis, store);
    const b = subscribe(kinesis, store);
    await Promise.all([a.start(), b.start()]);
    // Both race for the same free rows at once: the conditional writes give each row to one.
    // (While a lease is being stolen, its old holder learns so at its next write, within
    // leaseMs / 3: KCL's window too, so the race is judged once the split settled.)
    await until("a 3/3 split", () => a.assignments().length === 3 && b.assignments().length === 3);
    const rows = await store.list("g", "s");
    expect(rows).toHaveLength(6);
    for (const l of rows) {
      const holders = [a, b].filter((s) => s.assignments().some((p) => p.partition === l.shard));
      expect(holders.map((h) => h.owner)).toEqual([l.owner]);
    }
    const split = new Set(a.assignments().map((p) => p.partition));
    let overlaps = 0;
    const end = Date.now() + LEASE_MS * 2;
    while (Date.now() < end) {
      const sa = new Set(a.assignments().map((p) => p.partition));
      overlaps += b.assignments().filter((p) => sa.has(p.partition)).length;
      await sleep(25);
    }
    expect(overlaps).toBe(0);
    expect(new Set(a.assignments().map((p) => p.partition))).toEqual(split);
  });

  it("a handler that commits its own batch before returning leaves no lag behind (manual commits)", async () => {
    const kinesis = new FakeKinesis();
    kinesis.addShard("shardId-0");
    for (let i = 0; i < 24; i++) kinesis.put("shardId-0", `m${i}`);
    const store = newStore();
    let handled = 0;
    const sub: KinesisSubscription = new KinesisSubscription(
      { client: kinesis.client, store, leaseMs: LEASE_MS, pollMs: 200, endpoint: "fake" },
      {
        group: "g",
        topics: ["s"],
        commit: "manual",
        // A keyed fold checkpoints inside its handler: the batch's own last offset is committed
        // before the handler returns.
        handler: async (b) => {
          await sub.commit([{ topic: b.topic, partition: b.partition, offset: b.messages.at(-1)!.offset }]);
          handled += b.messages.length;
        },
      },
    );
    running.push(sub);
    await sub.start();
    await until("24 messages handled", () => handled === 24);
    await until("lag 0", async () => (await sub.lag()).every((l) => l.lag === 0), 3000);
    expect((await store.list("g", "s"))[0]?.checkpoint).not.toBeNull();
  });

  it("keeps renewing while its lease-table scans are slower than a lease time: no lease changes hands", async () => {
    const kinesis = new FakeKinesis();
    for (let i = 0; i < 6; i++) kinesis.addShard(`shardId-${i}`);
    const store = newStore();
    // A loaded host: after the split, every scan of the lease table takes two lease times.
    let slow = false;
    const scans: CheckpointStore = {
      put: (next, version) => store.put(next, version),
      list: async (group, stream) => {
        if (slow) await sleep(2 * LEASE_MS);
        return store.list(group, stream);
      },
    };
    const make = () => {
      const sub = new KinesisSubscription(
        { client: kinesis.client, store: scans, leaseMs: LEASE_MS, pollMs: 200, endpoint: "fake" },
        { group: "g", topics: ["s"], handler: async () => {} },
      );
      running.push(sub);
      return sub;
    };
    const a = make();
    const b = make();
    await Promise.all([a.start(), b.start()]);
    await until("a 3/3 split", () => a.assignments().length === 3 && b.assignments().length === 3);
    const owners = async () => new Map((await store.list("g", "s")).map((l) => [l.shard, l.owner]));
    const before = await owners();
    slow = true;
    let moves = 0;
    const end = Date.now() + LEASE_MS * 5;
    while (Date.now() < end) {
      const now = await owners();
      for (const [shard, owner] of now) if (owner !== before.get(shard)) moves++;
      await sleep(50);
    }
    expect(moves).toBe(0);
    expect([a.assignments().length, b.assignments().length]).toEqual([3, 3]);
  });

  it("steals for balance: a newcomer takes leases from the most-loaded owner until both hold their fair share", async () => {
    const kinesis = new FakeKinesis();
    for (let i = 0; i < 4; i++) kinesis.addShard(`shardId-${i}`);
    const store = newStore();
    const a = subscribe(kinesis, store);
    await a.start();
    expect(a.assignments()).toHaveLength(4);
    const b = subscribe(kinesis, store);
    await b.start();
    // No expiry needed: well within one lease time B steals up to its share (4 / 2 owners).
    const took = await until("2/2 after stealing", () => a.assignments().length === 2 && b.assignments().length === 2);
    expect(took).toBeLessThan(LEASE_MS * 2);
    const leases = await store.list("g", "s");
    expect(leases.filter((l) => l.owner === b.owner)).toHaveLength(2);
    expect(leases.filter((l) => l.owner === a.owner)).toHaveLength(2);
    for (const l of leases.filter((x) => x.owner === b.owner)) expect(l.ownerSwitches).toBeGreaterThanOrEqual(2);
  });

  it("balances across all the streams it reads: three instances on four 2-shard streams hold 3/3/2, not 2/4/2", async () => {
    const kinesis = new FakeKinesis();
    kinesis.addShard("shardId-0");
    kinesis.addShard("shardId-1");
    const store = newStore();
    const subs = [0, 1, 2].map(() => {
      const sub = new KinesisSubscription(
        { client: kinesis.client, store, leaseMs: LEASE_MS, pollMs: 200, endpoint: "fake" },
        { group: "g", topics: ["s1", "s2", "s3", "s4"], handler: async () => {} },
      );
      running.push(sub);
      return sub;
    });
    for (const sub of subs) await sub.start();
    await until(
      "a 3/3/2 split",
      () =>
        subs
          .map((x) => x.assignments().length)
          .sort()
          .join("/") === "2/3/3",
      20_000,
    );
    const held = subs.flatMap((x) => x.assignments().map((p) => `${p.topic}/${p.partition}`));
    expect(new Set(held).size).toBe(8);
  });

  it("takes over a crashed owner's lease once its counter has stood still for a lease time, from its checkpoint, whatever that owner's clock said", async () => {
    const kinesis = new FakeKinesis();
    kinesis.addShard("shardId-0");
    kinesis.addShard("shardId-1");
    for (const v of ["a", "b", "c", "d"]) kinesis.put("shardId-0", v);
    const store = newStore();
    // shardId-0: a crashed owner whose clock ran an hour ahead (expiresAt far in the future),
    // checkpointed after "b". shardId-1: a live owner whose clock runs behind (expiresAt in the
    // past) but who keeps renewing: its counter moves.
    const crashed = (await store.put(
      fresh("shardId-0", { owner: "crashed", expiresAt: Date.now() + 3_600_000, checkpoint: null }),
      0,
    )) as Lease;
    const seq = (kinesis.records.get("shardId-0") ?? [])[1]?.seq as string;
    await store.put({ ...crashed, owner: "crashed", checkpoint: `${seq}:0` }, crashed.version);
    let live = (await store.put(
      fresh("shardId-1", { owner: "slow-clock", expiresAt: Date.now() - LEASE_MS / 2 }),
      0,
    )) as Lease;
    let renewing = true;
    const renewer = (async () => {
      while (renewing) {
        const { version, ...rest } = live;
        live = (await store.put({ ...rest, expiresAt: Date.now() - LEASE_MS / 2 }, version)) ?? live;
        await sleep(LEASE_MS / 4);
      }
    })();

    const got: string[] = [];
    const sub = subscribe(kinesis, store, (ms) => got.push(...ms.map((m) => new TextDecoder().decode(m.value))));
    const started = Date.now();
    await sub.start();
    expect(sub.assignments()).toEqual([]);
    await until("the crashed owner's shard", () => got.length >= 2);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(LEASE_MS);
    expect(waited).toBeLessThan(LEASE_MS * 2 + 500);
    expect(got).toEqual(["c", "d"]);
    const rows = await store.list("g", "s");
    expect(rows.find((l) => l.shard === "shardId-0")).toMatchObject({ owner: sub.owner });
    // the renewed lease stayed with its owner although its expiresAt was in the past all along
    await sleep(LEASE_MS * 1.5);
    expect(sub.assignments().map((p) => p.partition)).toEqual(["shardId-0"]);
    renewing = false;
    await renewer;
    expect((await store.list("g", "s")).find((l) => l.shard === "shardId-1")?.owner).toBe("slow-clock");
  });

  it("leases children only after their parents reached SHARD_END, for a split and a merge", async () => {
    const kinesis = new FakeKinesis();
    // shard 0 split into 2 and 3; 3 and 1 merged into 4.
    kinesis.addShard("shardId-0", { closed: true });
    kinesis.addShard("shardId-1", { closed: true });
    kinesis.addShard("shardId-2", { parents: ["shardId-0"] });
    kinesis.addShard("shardId-3", { parents: ["shardId-0"], closed: true });
    kinesis.addShard("shardId-4", { parents: ["shardId-3", "shardId-1"] });
    for (let i = 0; i < 5; i++) kinesis.put("shardId-0", `p0-${i}`);
    for (let i = 0; i < 3; i++) kinesis.put("shardId-1", `p1-${i}`);
    for (let i = 0; i < 2; i++) kinesis.put("shardId-3", `c3-${i}`);
    kinesis.put("shardId-2", "c2-0");
    kinesis.put("shardId-4", "m4-0");
    const store = newStore();
    const handled: { shard: string; value: string; at: number }[] = [];
    const subs = [0, 1].map(() => {
      const s = new KinesisSubscription(
        // Leases far longer than the run: this test is about parents before children, exactly
        // once with no failure. With 1.2 s leases, an event-loop stall of a loaded test run
        // (seen once, with the unit tier beside Elasticsearch merging) let a lease expire and
        // its records come again, at least once, as they should after an expiry.
        { client: kinesis.client, store, leaseMs: LEASE_MS * 4, pollMs: 200, endpoint: "fake" },
        {
          group: "g",
          topics: ["s"],
          handler: async (b) => {
            for (const m of b.messages)
              handled.push({ shard: b.partition, value: new TextDecoder().decode(m.value), at: Date.now() });
          },
        },
      );
      running.push(s);
      return s;
    });
    await Promise.all(subs.map((s) => s.start()));
    await until("every record", () => handled.length >= 12).catch((err: Error) => {
      throw new Error(`${err.message}: handled ${JSON.stringify(handled.map((h) => `${h.shard}:${h.value}`))}`);
    });
    expect(handled).toHaveLength(12);
    const rows = new Map((await store.list("g", "s")).map((l) => [l.shard, l]));
    for (const closed of ["shardId-0", "shardId-1", "shardId-3"]) expect(rows.get(closed)?.finished).toBe(true);
    expect(rows.get("shardId-4")?.parents).toEqual(["shardId-1", "shardId-3"]);
    const firstRead = (shard: string) =>
      Math.min(...kinesis.iterators.filter((i) => i.shard === shard).map((i) => i.at));
    const lastHandled = (shard: string) => Math.max(...handled.filter((h) => h.shard === shard).map((h) => h.at));
    // a child is not even opened before the last record of each parent was handled
    expect(firstRead("shardId-2")).toBeGreaterThanOrEqual(lastHandled("shardId-0"));
    expect(firstRead("shardId-3")).toBeGreaterThanOrEqual(lastHandled("shardId-0"));
    expect(firstRead("shardId-4")).toBeGreaterThanOrEqual(lastHandled("shardId-3"));
    expect(firstRead("shardId-4")).toBeGreaterThanOrEqual(lastHandled("shardId-1"));
    // each record exactly once, in order within its shard
    expect(handled.filter((h) => h.shard === "shardId-0").map((h) => h.value)).toEqual(
      Array.from({ length: 5 }, (_, i) => `p0-${i}`),
    );
    expect(new Set(handled.map((h) => h.value)).size).toBe(12);
  });
});
