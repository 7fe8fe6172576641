// A late event and CMCD reports through the real sessionizer with the views in the real
// Elasticsearch (the archive on the filesystem: the view store is what is under test).
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
import { LOCAL_ENDPOINTS } from "@reeltime/infra";
import { processorMetrics } from "@reeltime/processing";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSessionizer } from "../../src/sessionizer/sessionizer.ts";
import { playbackBatches, testCommitter } from "../fixtures.ts";
import { timeline } from "./timeline.ts";

const log = createLogger("late-int", { level: "silent" });
let dir: string;
let bus: Bus;
let search: SearchStore;
let archive: Archive;
const feed = playbackBatches();
const batch = feed.batch;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-late-int-"));
  const env = loadEnv(ConnectionEnv, {
    REELTIME_DATA_DIR: dir,
    REELTIME_SEARCH: "elasticsearch",
    REELTIME_ES_URL: LOCAL_ENDPOINTS.elasticsearch.url,
  });
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
  await bus?.shutdown();
  await search?.shutdown();
  await archive?.shutdown();
  await rm(dir, { recursive: true, force: true });
});

const sessionizer = () =>
  createSessionizer(
    { search, archive, bus, log, metrics: processorMetrics(createRegistry(`late-int-${feed.offset}`)) },
    { timeoutMs: 60_000, graceMs: 10 * 60_000, snapshotEveryMs: 0 },
  );

describe("views in Elasticsearch", () => {
  it("a heartbeat 12 minutes after a complete view ended updates it (6 events, still ended, first frame kept)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const viewId = `late-int-${uuidv7()}`;
      const complete = timeline(
        [
          [0, "view_start"],
          [850, "startup_complete", { startup_ms: 850 }],
          [5_000, "heartbeat", { state: "playing", stats: { playing_ms: 4150, rebuffer_ms: 0, rebuffer_count: 0 } }],
          [9_000, "pause"],
          [10_000, "view_end", { reason: "ended", stats: { playing_ms: 8150, rebuffer_ms: 0, rebuffer_count: 0 } }],
        ],
        viewId,
      );
      const commit = testCommitter(1);
      const s = sessionizer();
      await s.handle(batch(complete), commit.commit);
      const before = await search.getView(viewId);
      // Counted here: playing from 850 to 9000 ms, paused 9000 to 10 000 ms.
      expect(before).toMatchObject({ events: 5, status: "ended", playing_ms: 8150, paused_ms: 1000 });

      vi.setSystemTime(Date.now() + 12 * 60_000);
      await s.tick(commit.commit);
      expect(s.size).toBe(0);

      const late = { ...exampleEvent("playback.heartbeat"), event_id: uuidv7(), view_id: viewId, seq: 5 };
      const again = sessionizer();
      await again.handle(batch([late]), commit.commit);
      const after = await search.getView(viewId);
      expect(after).toMatchObject({
        events: 6,
        last_seq: 5,
        status: "ended",
        end_reason: "ended",
        reached_first_frame: true,
        startup_ms: 850,
        playing_ms: 8150,
        paused_ms: 1000,
        started_at: before!.started_at,
      });
      // The same late event delivered again counts once.
      await again.handle(batch([late]), commit.commit);
      expect((await search.getView(viewId))?.events).toBe(6);
    } finally {
      vi.useRealTimers();
    }
  });

  it("CMCD reports: three new session ids make no view; one with a view's id joins it", async () => {
    const cmcd = (viewId: string, sn: number) => ({
      ...exampleEvent("playback.cmcd"),
      event_id: uuidv7(),
      view_id: viewId,
      session_id: viewId,
      seq: sn,
    });
    const s = sessionizer();
    const commit = testCommitter(1);
    await s.handle(batch([]), commit.commit); // loads the partition's checkpoint
    const held = s.size;
    const sids = [1, 2, 3].map(() => `cmcd-int-${uuidv7()}`);
    await s.handle(batch(sids.map((id) => cmcd(id, 0))), commit.commit);
    for (const id of sids) expect(await search.getView(id)).toBeUndefined();
    expect(s.size).toBe(held);

    const viewId = `cmcd-int-view-${uuidv7()}`;
    await s.handle(batch(timeline([[0, "view_start"]], viewId)), commit.commit);
    await s.handle(batch([cmcd(viewId, 1)]), commit.commit);
    expect(await search.getView(viewId)).toMatchObject({ events: 2, status: "active", video_id: "vid-big-buck-bunny" });
  });
});
