// The views record under a late event and under CMCD reports, through the real sessionizer
// (KeyedFold + computeView) on the embedded search store and archive. Expected figures are
// the view's own events, counted here.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Archive,
  type Bus,
  createArchive,
  createBus,
  createSearchStore,
  type SearchStore,
} from "@reeltime/connectors";
import { exampleEvent, TOPICS } from "@reeltime/events";
import { processorMetrics } from "@reeltime/processing";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSessionizer } from "../../src/sessionizer/sessionizer.ts";
import { playbackBatches, testCommitter } from "../fixtures.ts";
import { timeline } from "./timeline.ts";

const log = createLogger("late-test", { level: "silent" });
let dir: string;
let bus: Bus;
let search: SearchStore;
let archive: Archive;
const feed = playbackBatches();
const batch = feed.batch;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-late-"));
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir });
  bus = await createBus(env);
  search = await createSearchStore(env);
  archive = await createArchive(env);
  await bus.start();
  await bus.ensureTopics([{ name: TOPICS.deadLetter, partitions: 1 }]);
  await search.start();
  await search.init();
  await archive.start();
});
afterAll(async () => {
  vi.useRealTimers();
  await bus.shutdown();
  await search.shutdown();
  await archive.shutdown();
  await rm(dir, { recursive: true, force: true });
});

const sessionizer = () =>
  createSessionizer(
    { search, archive, bus, log, metrics: processorMetrics(createRegistry(`late-${feed.offset}`)) },
    { timeoutMs: 60_000, graceMs: 10 * 60_000, snapshotEveryMs: 0 },
  );

describe("a late event", () => {
  it("updates the finished view it belongs to, also after the view left memory and after a restart", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const viewId = `late-${uuidv7()}`;
    const complete = timeline(
      [
        [0, "view_start"],
        [850, "startup_complete", { startup_ms: 850 }],
        [5_000, "heartbeat"],
        [9_000, "pause"],
        [10_000, "view_end", { reason: "ended" }],
      ],
      viewId,
    );
    const commit = testCommitter(1);
    const s = sessionizer();
    await s.handle(batch(complete), commit.commit);
    const before = await search.getView(viewId);
    expect(before).toMatchObject({ events: 5, status: "ended", reached_first_frame: true });

    // 12 minutes on: past the grace period, the finished view leaves memory.
    vi.setSystemTime(Date.now() + 12 * 60_000);
    await s.tick(commit.commit);
    expect(s.size).toBe(0);

    // A restart in between: a new instance resumes from the checkpoint.
    const again = sessionizer();
    const late = { ...exampleEvent("playback.heartbeat"), event_id: uuidv7(), view_id: viewId, seq: 99 };
    await again.handle(batch([late]), commit.commit);
    const after = await search.getView(viewId);
    expect(after).toMatchObject({
      events: 6,
      status: "ended",
      reached_first_frame: true,
      startup_ms: before!.startup_ms,
      started_at: before!.started_at,
    });
    vi.useRealTimers();
  });
});

describe("CMCD reports", () => {
  const cmcd = (viewId: string) => ({ ...exampleEvent("playback.cmcd"), event_id: uuidv7(), view_id: viewId });

  it("three reports with three new session ids make no view", async () => {
    const s = sessionizer();
    const commit = testCommitter(1);
    await s.handle(batch([]), commit.commit); // loads the partition's checkpoint
    const held = s.size;
    const ids = [uuidv7(), uuidv7(), uuidv7()].map((u) => `cmcd-only-${u}`);
    await s.handle(batch(ids.map(cmcd)), commit.commit);
    for (const id of ids) expect(await search.getView(id)).toBeUndefined();
    expect(s.size).toBe(held);
  });

  it("a report whose session id is an SDK view joins that view", async () => {
    const s = sessionizer();
    const viewId = `joined-${uuidv7()}`;
    const start = timeline([[0, "view_start"]], viewId);
    const commit = testCommitter(1);
    await s.handle(batch(start), commit.commit);
    await s.handle(batch([cmcd(viewId)]), commit.commit);
    expect(await search.getView(viewId)).toMatchObject({ events: 2 });
  });
});
