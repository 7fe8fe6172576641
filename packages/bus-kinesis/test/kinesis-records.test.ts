import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KinesisClient, PutRecordsCommand, PutRecordsRequestEntry } from "@aws-sdk/client-kinesis";
import type { BusMessage } from "@reeltime/ports";
import { afterAll, describe, expect, it } from "vitest";
import { FsCheckpointStore } from "../src/checkpoints-fs.ts";
import { pack, RECORD_LIMIT, unpack } from "../src/framing.ts";
import { plan, putAll } from "../src/producer.ts";

const enc = new TextEncoder();
const msg = (key: string, value: string, headers?: Record<string, string>): BusMessage => ({
  key,
  value: enc.encode(value),
  ...(headers ? { headers } : {}),
});

describe("kinesis framing", () => {
  it("packs messages of a key into one record and unpacks them in order with headers", () => {
    const records = pack("view-1", [msg("view-1", "a", { traceparent: "00-x" }), msg("view-1", "b")]);
    expect(records).toHaveLength(1);
    const out = unpack(records[0]?.data as Buffer, "view-1");
    expect(out.map((u) => new TextDecoder().decode(u.value))).toEqual(["a", "b"]);
    expect(out[0]?.headers).toEqual({ traceparent: "00-x" });
    expect(out.every((u) => u.key === "view-1")).toBe(true);
  });

  it("starts a new record before the 1 MiB record limit, and hashes keys longer than 256 characters", () => {
    const long = "k".repeat(300);
    const records = pack(
      long,
      Array.from({ length: 5 }, () => msg(long, "x".repeat(300_000))),
    );
    expect(records.length).toBe(2);
    for (const r of records) {
      expect(r.partitionKey).toMatch(/^[0-9a-f]{64}$/);
      expect(r.data.length + r.partitionKey.length).toBeLessThanOrEqual(RECORD_LIMIT);
      expect(unpack(r.data, r.partitionKey)[0]?.key).toBe(long);
    }
  });

  it("reads a record from another producer as one message", () => {
    const [u] = unpack(enc.encode('{"plain":true}'), "pk");
    expect(u).toMatchObject({ key: "pk", headers: {} });
  });
});

describe("kinesis producer", () => {
  it("plans rounds with one record per key, calls within 500 records and 5 MiB", () => {
    const messages = [
      ...Array.from({ length: 1200 }, (_, i) => msg(`view-${i}`, "x")),
      ...Array.from({ length: 8 }, () => msg("job-big", "y".repeat(900_000))),
    ];
    const rounds = plan(messages);
    expect(rounds.length).toBe(8);
    for (const calls of rounds) {
      for (const call of calls) {
        expect(call.length).toBeLessThanOrEqual(500);
        const bytes = call.reduce((n, e) => n + (e.Data?.length ?? 0) + (e.PartitionKey?.length ?? 0), 0);
        expect(bytes).toBeLessThanOrEqual(5 * 1024 * 1024);
        const keys = call.map((e) => e.PartitionKey);
        expect(new Set(keys).size).toBe(keys.length);
      }
    }
    expect(rounds[0]?.flat().length).toBe(1201);
  });

  it("retries only the entries that failed, then resolves", async () => {
    const calls: PutRecordsRequestEntry[][] = [];
    const client = {
      send: async (cmd: PutRecordsCommand) => {
        const records = cmd.input.Records ?? [];
        calls.push(records);
        const fail = calls.length === 1;
        return {
          FailedRecordCount: fail ? 2 : 0,
          Records: records.map((_, i) =>
            fail && i % 2 === 1 ? { ErrorCode: "ProvisionedThroughputExceededException" } : { SequenceNumber: "1" },
          ),
        };
      },
    } as unknown as KinesisClient;
    const entries = ["a", "b", "c", "d"].map((k) => ({ PartitionKey: k, Data: enc.encode(k) }));
    await putAll(client, "s", entries, Date.now() + 5000, "test");
    expect(calls.map((c) => c.map((e) => e.PartitionKey))).toEqual([
      ["a", "b", "c", "d"],
      ["b", "d"],
    ]);
  });

  it("rejects with a retryable error naming what was not acknowledged when the deadline passes", async () => {
    const client = {
      send: async () => {
        throw Object.assign(new Error("connect ECONNREFUSED"), { name: "Error" });
      },
    } as unknown as KinesisClient;
    const err = await putAll(
      client,
      "s",
      [{ PartitionKey: "a", Data: enc.encode("a") }],
      Date.now() + 300,
      "test",
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "REELTIME_ERR_BUS_UNAVAILABLE", retryable: true });
    expect((err as Error).message).toMatch(/1 of 1 record/);
  });
});

describe("filesystem checkpoint store", () => {
  const root = mkdtemp(join(tmpdir(), "reeltime-leases-"));
  afterAll(async () => rm(await root, { recursive: true, force: true }));

  it("lets exactly one of two writers with the same expected version win", async () => {
    const store = new FsCheckpointStore(await root);
    const base = { group: "g", stream: "s", shard: "shardId-0", expiresAt: 0, checkpoint: null, finished: false };
    const created = await store.put({ ...base, owner: null }, 0);
    expect(created?.version).toBe(1);
    const results = await Promise.all(
      ["a", "b", "c"].map((owner) => store.put({ ...base, owner, expiresAt: Date.now() + 1000 }, 1)),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    const [stored] = await store.list("g", "s");
    expect(stored?.version).toBe(2);
    expect(stored?.owner).toBe(results.find((r) => r)?.owner);
    expect(await store.put({ ...base, owner: null }, 0)).toBeNull();
  });
});
