// The sessionizer's checkpoints cost what changed, not what is held: 300 open views, then one
// event on one of them, through the real sessionizer on the embedded store and archive.
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
import { exampleEvent } from "@reeltime/events";
import { processorMetrics } from "@reeltime/processing";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessionizer } from "../../src/sessionizer/sessionizer.ts";
import { playbackBatches, testCommitter } from "../fixtures.ts";
import { timeline } from "./timeline.ts";

const log = createLogger("checkpoint-test", { level: "silent" });
let dir: string;
let bus: Bus;
let search: SearchStore;
let archive: Archive;
/** Bytes the processor stored in the archive, per call. */
const puts: { key: string; bytes: number }[] = [];
const feed = playbackBatches();
const batch = feed.batch;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-ckpt-"));
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir });
  bus = await createBus(env);
  search = await createSearchStore(env);
  const inner = await createArchive(env);
  archive = Object.assign(Object.create(inner) as Archive, {
    put: (key: string, body: Uint8Array, o?: Parameters<Archive["put"]>[2]) => {
      puts.push({ key, bytes: body.length });
      return inner.put(key, body, o);
    },
  });
  await bus.start();
  await search.start();
  await search.init();
  await inner.start();
});
afterAll(async () => {
  await bus.shutdown();
  await search.shutdown();
  await archive.shutdown();
  await rm(dir, { recursive: true, force: true });
});

const sessionizer = () =>
  createSessionizer(
    { search, archive, bus, log, metrics: processorMetrics(createRegistry(`ckpt-${feed.offset}`)) },
    { snapshotEveryMs: 0 },
  );

describe("sessionizer lookups", () => {
  it("CMCD reports with unknown session ids cost no views-store lookup; a new view costs one", async () => {
    const gets: string[] = [];
    const counting = {
      getView: (id: string) => {
        gets.push(id);
        return search.getView(id);
      },
      upsertViews: (r: Parameters<SearchStore["upsertViews"]>[0]) => search.upsertViews(r),
    } as SearchStore;
    const s = createSessionizer(
      { search: counting, archive, bus, log, metrics: processorMetrics(createRegistry(`ckpt-get-${feed.offset}`)) },
      { snapshotEveryMs: 0 },
    );
    const commit = testCommitter(1);
    const cmcd = (i: number) => ({
      ...exampleEvent("playback.cmcd"),
      event_id: `01900000-0000-7000-8000-${String(i).padStart(12, "0")}`,
      view_id: `other-player-sid-${i}`,
    });
    await s.handle(batch([cmcd(1), cmcd(2), cmcd(3)], "9"), commit.commit);
    expect(gets).toEqual([]);
    expect(s.size).toBe(0);
    await s.handle(batch(timeline([[0, "view_start"]], "lookup-view"), "9"), commit.commit);
    expect(gets).toEqual(["lookup-view"]);
  });
});

describe("sessionizer checkpoints", () => {
  it("one event on one of 300 open views stores a few hundred bytes, not the whole state; a restart resumes it all", async () => {
    const views = Array.from({ length: 300 }, (_, i) =>
      timeline(
        [
          [0, "view_start"],
          [700, "startup_complete", { startup_ms: 700 }],
          [10_700, "heartbeat", { state: "playing", stats: { playing_ms: 10_000, rebuffer_ms: 0, rebuffer_count: 0 } }],
        ],
        `ckpt-view-${i}`,
      ),
    );
    const s = sessionizer();
    const commit = testCommitter(1);
    await s.handle(batch(views.flatMap((v) => v.slice(0, 2))), commit.commit);
    await s.handle(batch([views[0]![2]!]), commit.commit); // the first small checkpoint may be a base
    const all = puts.reduce((n, p) => n + p.bytes, 0);
    expect(s.size).toBe(300);

    puts.length = 0;
    await s.handle(batch([views[7]![2]!]), commit.commit);
    const one = puts.reduce((n, p) => n + p.bytes, 0);
    expect(one).toBeGreaterThan(0);
    expect(one).toBeLessThan(3000);
    expect(one * 40).toBeLessThan(all);
    expect(commit.state.commits.at(-1)?.offset).toBe(String(feed.offset - 1));

    // A new owner rebuilds the same 300 views from the log, and folds on from there.
    const again = sessionizer();
    await again.handle(batch([views[9]![2]!]), testCommitter(2).commit);
    expect(again.size).toBe(300);
    for (const i of [0, 7, 9])
      expect(await search.getView(`ckpt-view-${i}`)).toMatchObject({ events: 3, playing_ms: 10_000 });
    expect(await search.getView("ckpt-view-8")).toMatchObject({ events: 2, playing_ms: 0 });
  });
});
