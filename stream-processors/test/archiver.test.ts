import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, type Bus, type ConsumedMessage, createArchive, createBus } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import { processorMetrics } from "@reeltime/processing";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Archiver } from "../src/archiver/event-archiver.ts";
import { ParquetWriter } from "../src/archiver/parquet.ts";
import { archivedIds, syntheticEvents, testCommitter } from "./fixtures.ts";

const log = createLogger("archiver-test", { level: process.env.LOG_LEVEL ?? "silent" });
const topic = TOPICS.playback;
const events = syntheticEvents(400).filter((e) => e.event_type.startsWith("playback."));
const messages: ConsumedMessage[] = events.map((e, i) => ({
  topic,
  partition: "0",
  offset: String(i),
  key: "k",
  value: new TextEncoder().encode(JSON.stringify(e)),
  headers: {},
  timestamp: 0,
}));
const batch = (from: number, to: number) => ({ topic, partition: "0", messages: messages.slice(from, to + 1) });

let dir: string;
let archive: Archive;
let bus: Bus;
const writer = new ParquetWriter();
let n = 0;
const archiver = () =>
  new Archiver(
    { archive, bus, writer, log, metrics: processorMetrics(createRegistry(`archiver-${n++}`)) },
    { maxAgeMs: 60_000 },
  );
const ids = async () => (await archivedIds(archive, "events/")).sort();
const expected = (count: number) =>
  events
    .slice(0, count)
    .map((e) => e.event_id)
    .sort();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-archiver-"));
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir });
  bus = await createBus(env);
  await bus.start();
});
beforeEach(async () => {
  archive = await createArchive(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: join(dir, `a${n++}`) }));
  await archive.start();
});
afterAll(async () => {
  await bus.shutdown();
  await rm(dir, { recursive: true, force: true });
});

describe("archiver cuts", () => {
  it("a commit refused after the upload: rows that arrive later go into the next cut, none twice", async () => {
    const a = archiver();
    const { commit, state } = testCommitter(1, { failCommits: 1 });
    await a.handle(batch(0, 9), commit);
    await expect(a.flush(commit)).rejects.toThrow(/rebalancing/);
    await a.handle(batch(10, 19), commit); // the first cut (0..9) is retried as it was, then 10.. opens
    await a.flush(commit);
    expect(state.commits.map((p) => p.offset)).toEqual(["9", "19"]);
    expect(await ids()).toEqual(expected(20));
  });

  it("an instance that lost the partition and the one that took it over write the same cuts", async () => {
    const zombie = archiver();
    const owner = archiver();
    const z = testCommitter(1, { failCommits: 1 }); // it was fenced: its commit fails, but it does not know yet
    const o = testCommitter(7);
    await zombie.handle(batch(0, 9), z.commit);
    await expect(zombie.flush(z.commit)).rejects.toThrow();
    // The new owner re-reads from the last commit and had buffered further when its cut came due.
    await owner.handle(batch(0, 14), o.commit);
    await owner.flush(o.commit);
    expect(o.state.commits.map((p) => p.offset)).toEqual(["9", "14"]);
    expect(await ids()).toEqual(expected(15));
  });

  it("a late writer with a shorter buffer waits for the cut the first writer fixed", async () => {
    const owner = archiver();
    const late = archiver();
    const o = testCommitter(7);
    const l = testCommitter(1);
    await owner.handle(batch(0, 14), o.commit);
    await owner.flush(o.commit);
    await late.handle(batch(0, 9), l.commit);
    await late.flush(l.commit); // its cut from 0 ends at 14: nothing is written yet
    expect(l.state.commits).toEqual([]);
    expect(await ids()).toEqual(expected(15));
    await late.handle(batch(10, 14), l.commit); // reaching 14 writes the same objects again
    expect(l.state.commits.map((p) => p.offset)).toEqual(["14"]);
    expect(await ids()).toEqual(expected(15));
  });

  it("a partition taken again drops what was buffered under the earlier hold", async () => {
    const a = archiver();
    const other = archiver();
    const c = testCommitter(1);
    await a.handle(batch(0, 9), c.commit);
    // The partition moves to another instance, which archives 0..19 and commits, then comes back.
    c.state.hold = undefined;
    await a.tick(c.commit);
    const o = testCommitter(2);
    await other.handle(batch(0, 19), o.commit);
    await other.flush(o.commit);
    c.state.hold = 3;
    await a.handle(batch(20, 24), c.commit);
    await a.flush(c.commit);
    expect(c.state.commits.map((p) => p.offset)).toEqual(["24"]);
    expect(await ids()).toEqual(expected(25));
  });

  it("rows after a split are kept when the archive fails right after the commit", async () => {
    const first = archiver();
    const f = testCommitter(1);
    await first.handle(batch(0, 4), f.commit);
    await first.flush(f.commit); // fixes the cut 0..4
    // A second archiver buffered further; the archive fails on its next marker lookup.
    const failing = { ...archive } as Archive;
    let failures = 0;
    failing.exists = async (key: string) => {
      if (key.endsWith("/5.json") && failures++ === 0) throw new Error("archive unreachable");
      return archive.exists(key);
    };
    const second = new Archiver(
      { archive: failing, bus, writer, log, metrics: processorMetrics(createRegistry(`archiver-${n++}`)) },
      { maxAgeMs: 60_000 },
    );
    const s = testCommitter(2);
    await second.handle(batch(0, 9), s.commit);
    await second.flush(s.commit); // writes 0..4 as fixed; 5..9 open the next cut, whose lookup fails
    await second.flush(s.commit);
    expect(failures).toBeGreaterThan(0);
    expect(s.state.commits.map((p) => p.offset)).toEqual(["4", "9"]);
    expect(await ids()).toEqual(expected(10));
  });

  it("a batch delivered again after a cut failed mid-batch adds nothing twice", async () => {
    const flaky = { ...archive } as Archive;
    let failed = 0;
    flaky.put = async (key, body, options) => {
      if (key.endsWith("-5-9.parquet") && failed++ === 0) throw new Error("archive unreachable");
      return archive.put(key, body, options);
    };
    const a = new Archiver(
      { archive: flaky, bus, writer, log, metrics: processorMetrics(createRegistry(`archiver-${n++}`)) },
      { maxAgeMs: 60_000, maxRows: 5 },
    );
    const c = testCommitter(1);
    // The cut 0..4 is written and committed, then the cut 5..9 fails: the handler rejects.
    await expect(a.handle(batch(0, 9), c.commit)).rejects.toThrow(/unreachable/);
    await a.handle(batch(0, 9), c.commit); // the bus delivers the same batch again
    await a.flush(c.commit);
    expect(c.state.commits.map((p) => p.offset)).toEqual(["4", "9"]);
    expect(await ids()).toEqual(expected(10));
  });

  it("a batch for a partition not held here is refused, not buffered", async () => {
    const a = archiver();
    const c = testCommitter(undefined);
    await expect(a.handle(batch(0, 4), c.commit)).rejects.toThrow(/changed hands/);
    c.state.hold = 1;
    await a.flush(c.commit);
    expect(await ids()).toEqual([]);
  });

  it("a cut due in the middle of a batch record waits for the record's last event, so its commit names it", async () => {
    const a = new Archiver(
      { archive, bus, writer, log, metrics: processorMetrics(createRegistry(`archiver-${n++}`)) },
      { maxAgeMs: 60_000, maxRows: 3 },
    );
    const c = testCommitter(1);
    // Record 0 holds events 0..4 of a batch record, record 1 events 5..6.
    const split = (record: number, from: number, count: number) =>
      messages.slice(from, from + count).map((m, i) => ({ ...m, offset: `${record}#${i}/${count}` }));
    await a.handle({ topic, partition: "0", messages: [...split(0, 0, 5), ...split(1, 5, 2)] }, c.commit);
    await a.flush(c.commit);
    expect(c.state.commits.map((p) => p.offset)).toEqual(["0#4/5", "1#1/2"]);
    expect(await ids()).toEqual(expected(7));
  });
});
