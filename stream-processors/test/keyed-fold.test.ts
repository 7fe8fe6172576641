import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Archive,
  type Bus,
  type BusMessage,
  type ConsumedMessage,
  createArchive,
  createBus,
  type DeadLetter,
} from "@reeltime/connectors";
import { exampleEvent, TOPICS } from "@reeltime/events";
import { KeyedFold, processorMetrics, UNFIT_KEY } from "@reeltime/processing";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParquetWriter } from "../src/archiver/parquet.ts";
import { createViewArchiver } from "../src/records/record-archivers.ts";
import { playbackBatches, testCommitter } from "./fixtures.ts";

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

/** A bus that keeps what is published to the dead-letter topic (the fold only publishes dead letters). */
function letterBus() {
  const letters: DeadLetter[] = [];
  const spy = {
    publish: async (t: string, messages: BusMessage[]) => {
      expect(t).toBe(TOPICS.deadLetter);
      for (const m of messages) letters.push(JSON.parse(new TextDecoder().decode(m.value)) as DeadLetter);
    },
  } as unknown as Bus;
  return { letters, bus: spy };
}

describe("keyed fold: a key whose record cannot be computed", () => {
  it("goes to dead letters with its reason; the other keys' records are written and the partition is committed", async () => {
    const { letters, bus: spy } = letterBus();
    const records = new Map<string, number>();
    const f = new KeyedFold<Ev, { key: string; events: number }>(
      {
        name: "fold",
        group: "reeltime-test-unfit",
        topic,
        keyOf: (e) => e.key,
        compute: (events) => {
          if (events[0]!.key === "bad") throw new Error("a view needs at least one SDK event");
          return { key: events[0]!.key, events: events.length };
        },
        isFinal: () => false,
        upsert: async (rs) => {
          for (const r of rs) records.set(r.key, r.events);
        },
        timeoutMs: 60_000,
        snapshotEveryMs: 0,
      },
      { archive, bus: spy, log, metrics: processorMetrics(createRegistry(`fold-unfit-${n++}`)) },
    );
    const msg = (i: number, key: string): ConsumedMessage => ({
      ...message(i),
      key,
      value: new TextEncoder().encode(JSON.stringify({ event_id: `u${i}`, key, app_id: "app-1" })),
    });
    const c = testCommitter(1);
    await f.handle({ topic, partition: "0", messages: [msg(0, "good"), msg(1, "bad"), msg(2, "good")] }, c.commit);
    expect(records.get("good")).toBe(2);
    expect(records.has("bad")).toBe(false);
    expect(c.state.commits.at(-1)?.offset).toBe("2");
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ stage: "fold", reason: UNFIT_KEY, topic, app_id: "app-1" });
    expect(letters[0]!.message).toMatch(/key bad: a view needs at least one SDK event/);
    expect(letters[0]!.payload).toMatchObject({ key: "bad" });

    // The key left the state: the next checkpoints do not fail on it again, and later batches commit.
    await f.handle({ topic, partition: "0", messages: [msg(3, "good")] }, c.commit);
    expect(records.get("good")).toBe(3);
    expect(c.state.commits.at(-1)?.offset).toBe("3");
    expect(letters).toHaveLength(1);
    expect(f.size).toBe(1);
    // A restart from the checkpoint does not bring the key back either.
    const again = new KeyedFold<Ev, { key: string; events: number }>(
      {
        name: "fold",
        group: "reeltime-test-unfit",
        topic,
        keyOf: (e) => e.key,
        compute: (events) => ({ key: events[0]!.key, events: events.length }),
        isFinal: () => false,
        upsert: async () => undefined,
        timeoutMs: 60_000,
        snapshotEveryMs: 0,
      },
      { archive, bus: spy, log, metrics: processorMetrics(createRegistry(`fold-unfit-${n++}`)) },
    );
    await again.handle({ topic, partition: "0", messages: [msg(4, "good")] }, testCommitter(2).commit);
    expect(again.size).toBe(1);
  });
});

describe("view archiver and CMCD reports", () => {
  it("a CMCD report for a view it does not hold starts nothing: no dead letter, the partition is committed", async () => {
    const { letters, bus: spy } = letterBus();
    const writer = new ParquetWriter();
    const va = createViewArchiver(
      { archive, bus: spy, log, metrics: processorMetrics(createRegistry(`va-${n++}`)), writer },
      { snapshotEveryMs: 0 },
    );
    const feed = playbackBatches();
    const c = testCommitter(1);
    const cmcd = (i: number, view: string) => ({
      ...exampleEvent("playback.cmcd"),
      event_id: `01900000-0000-7000-8000-${String(i).padStart(12, "0")}`,
      view_id: view,
    });
    // The report of another player's session, alone in its batch: the fold checkpoints right after.
    await va.handle(feed.batch([cmcd(1, "other-sid")]), c.commit);
    expect(va.size).toBe(0);
    expect(c.state.commits.at(-1)?.offset).toBe(String(feed.offset - 1));
    const start = { ...exampleEvent("playback.view_start"), view_id: "va-view" };
    await va.handle(feed.batch([start, cmcd(2, "va-view")]), c.commit);
    expect(va.size).toBe(1);
    expect(c.state.commits.at(-1)?.offset).toBe(String(feed.offset - 1));
    expect(letters).toEqual([]);
    await writer.close();
  });
});
