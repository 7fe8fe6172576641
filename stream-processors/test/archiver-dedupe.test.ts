import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, type Bus, type ConsumedMessage, createArchive, createBus } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import { processorMetrics } from "@reeltime/processing";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DedupeWindow } from "../src/archiver/dedupe.ts";
import { Archiver } from "../src/archiver/event-archiver.ts";
import { ParquetWriter } from "../src/archiver/parquet.ts";
import { archivedIds, syntheticEvents, testCommitter } from "./fixtures.ts";

const log = createLogger("archiver-dedupe-test", { level: process.env.LOG_LEVEL ?? "silent" });
const topic = TOPICS.playback;
const events = syntheticEvents(200).filter((e) => e.event_type.startsWith("playback."));
/** The bus log: each entry an event, resends included, at consecutive offsets. */
const log_: unknown[] = [];
const send = (...which: number[]) => {
  const from = log_.length;
  for (const i of which) log_.push({ ...events[i]!, received_at: new Date(Date.now() + log_.length).toISOString() });
  const messages: ConsumedMessage[] = log_.slice(from).map((e, j) => ({
    topic,
    partition: "0",
    offset: String(from + j),
    key: "k",
    value: new TextEncoder().encode(JSON.stringify(e)),
    headers: {},
    timestamp: 0,
  }));
  return { topic, partition: "0", messages };
};

let dir: string;
let archive: Archive;
let bus: Bus;
const writer = new ParquetWriter();
let n = 0;
const archiver = () =>
  new Archiver({ archive, bus, writer, log, metrics: processorMetrics(createRegistry(`dedupe-${n++}`)) }, {});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-dedupe-"));
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir });
  bus = await createBus(env);
  archive = await createArchive(env);
  await Promise.all([bus.start(), archive.start()]);
});
afterAll(async () => {
  await Promise.all([bus.shutdown(), archive.shutdown()]);
  await rm(dir, { recursive: true, force: true });
});

describe("archiver keeps one row per event_id", () => {
  it("resent in the same cut, after a cut, and after a restart: Parquet rows equal distinct event_ids", async () => {
    const first = archiver();
    const c1 = testCommitter(1);
    await first.handle(send(...Array.from({ length: 20 }, (_, i) => i), 3, 4), c1.commit); // immediately
    await first.flush(c1.commit);
    await first.handle(send(20, 21, 5, 6, 22), c1.commit); // later, across a cut
    await first.flush(c1.commit);
    // A restart: a new instance, a new hold, nothing in memory.
    const second = archiver();
    const c2 = testCommitter(2);
    await second.handle(send(7, 23, 8, 21), c2.commit);
    await second.flush(c2.commit);
    const ids = await archivedIds(archive, "events/");
    const distinct = new Set(log_.map((e) => (e as { event_id: string }).event_id));
    expect(log_.length).toBe(distinct.size + 7);
    expect(ids.length).toBe(distinct.size);
    expect(new Set(ids)).toEqual(distinct);
    expect(first.duplicatesDropped + second.duplicatesDropped).toBe(7);
  });

  it("a restart that re-cuts from the same offset drops the same rows (the window is in the cut's marker)", async () => {
    const before = (await archivedIds(archive, "events/")).length;
    const a = archiver();
    const failing = testCommitter(3, { failCommits: 1 });
    await a.handle(send(30, 31, 30), failing.commit);
    await expect(a.flush(failing.commit)).rejects.toThrow(/rebalancing/);
    const b = archiver();
    const ok = testCommitter(4);
    // The new owner reads the same three messages again (from the last commit).
    const again = log_.slice(-3).map((e, j) => ({
      topic,
      partition: "0",
      offset: String(log_.length - 3 + j),
      key: "k",
      value: new TextEncoder().encode(JSON.stringify(e)),
      headers: {},
      timestamp: 0,
    }));
    await b.handle({ topic, partition: "0", messages: again }, ok.commit);
    await b.flush(ok.commit);
    const ids = await archivedIds(archive, "events/");
    expect(ids.length).toBe(before + 2);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("DedupeWindow", () => {
  it("forgets ids of hours older than its window and the oldest beyond its size", () => {
    const h = (n: number) => Date.UTC(2026, 10, 22, n, 30);
    const w = new DedupeWindow({ hours: 1, maxIds: 3 });
    w.add("a", h(9));
    w.add("b", h(10));
    expect([w.has("a"), w.has("b")]).toEqual([true, true]);
    w.add("c", h(11)); // 09:xx is now more than an hour behind
    expect([w.has("a"), w.has("b"), w.has("c")]).toEqual([false, true, true]);
    w.add("d", h(11));
    w.add("e", h(11));
    expect(w.size).toBe(3);
    expect(w.has("b")).toBe(false);
    const copy = new DedupeWindow({ hours: 1, maxIds: 3 }, JSON.parse(JSON.stringify(w.toJSON())));
    expect(["c", "d", "e"].map((id) => copy.has(id))).toEqual([true, true, true]);
  });
});
