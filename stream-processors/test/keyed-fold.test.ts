import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, type Bus, type ConsumedMessage, createArchive, createBus } from "@reeltime/connectors";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyedFold } from "../src/runtime/keyed-fold.ts";
import { processorMetrics } from "../src/runtime/processor.ts";
import { testCommitter } from "./fixtures.ts";

const log = createLogger("keyed-fold-test", { level: process.env.LOG_LEVEL ?? "silent" });
interface Ev {
  event_id: string;
  key: string;
}
const topic = "reeltime.test-fold";
const message = (i: number): ConsumedMessage => ({
  topic,
  partition: "0",
  offset: String(i),
  key: "view-1",
  value: new TextEncoder().encode(JSON.stringify({ event_id: `e${i}`, key: "view-1" } satisfies Ev)),
  headers: {},
  timestamp: 0,
});
const batch = (...offsets: number[]) => ({ topic, partition: "0", messages: offsets.map(message) });

let dir: string;
let archive: Archive;
let bus: Bus;
/** The record each key was last upserted with (a count of its events), as a search store keeps it. */
const stored = new Map<string, number>();
let n = 0;
const fold = () =>
  new KeyedFold<Ev, { key: string; events: number }>(
    {
      name: "fold",
      group: "reeltime-test-fold",
      topic,
      keyOf: (e) => e.key,
      compute: (events) => ({ key: events[0]!.key, events: events.length }),
      isFinal: () => false,
      upsert: async (records) => {
        for (const r of records) stored.set(r.key, r.events);
      },
      timeoutMs: 60_000,
      snapshotEveryMs: 0,
    },
    { archive, bus, log, metrics: processorMetrics(createRegistry(`fold-${n++}`)) },
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-fold-"));
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir });
  bus = await createBus(env);
  archive = await createArchive(env);
  await bus.start();
  await archive.start();
});
afterAll(async () => {
  await bus.shutdown();
  await archive.shutdown();
  await rm(dir, { recursive: true, force: true });
});

describe("keyed fold across holds", () => {
  it("a partition that comes back resumes from the checkpoint, not from what it held before", async () => {
    const a = fold();
    const b = fold();
    const ca = testCommitter(1);
    await a.handle(batch(0, 1, 2), ca.commit);
    expect(stored.get("view-1")).toBe(3);

    // The partition moves to b, which resumes from a's checkpoint and folds two more events.
    ca.state.hold = undefined;
    const cb = testCommitter(9);
    await b.handle(batch(3, 4), cb.commit);
    expect(stored.get("view-1")).toBe(5);
    expect(cb.state.commits.at(-1)?.offset).toBe("4");

    // Back on a: its old state (3 events) is stale; the record must count all six.
    ca.state.hold = 2;
    await a.handle(batch(5), ca.commit);
    expect(stored.get("view-1")).toBe(6);
  });

  it("state of a partition no longer held is neither checkpointed nor committed", async () => {
    const a = fold();
    const c = testCommitter(4);
    await a.handle(batch(10), c.commit);
    const commits = c.state.commits.length;
    c.state.hold = undefined;
    await a.tick(c.commit);
    await a.flush(c.commit);
    expect(c.state.commits.length).toBe(commits);
    expect(a.size).toBe(0);
    await expect(a.handle(batch(11), c.commit)).rejects.toThrow(/changed hands/);
  });
});
