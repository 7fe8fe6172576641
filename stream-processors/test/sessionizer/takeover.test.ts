// A takeover while the old owner still runs (its Kafka session expired mid-batch: it does not
// know yet that it lost the partition). Both write the partition's checkpoint log; the
// interleaving is driven by hand, on the embedded store and archive.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Archive,
  type Bus,
  type ConsumedMessage,
  createArchive,
  createBus,
  createSearchStore,
  type SearchStore,
} from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import { processorMetrics, StaleBatchError } from "@reeltime/processing";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessionizer } from "../../src/sessionizer/sessionizer.ts";
import { testCommitter } from "../fixtures.ts";
import { timeline } from "./timeline.ts";

const log = createLogger("takeover-test", { level: "silent" });
let dir: string;
let bus: Bus;
let search: SearchStore;
let archive: Archive;
let registries = 0;

/** Messages of partition 0 at the given offsets. */
const batch = (first: number, events: object[]) => ({
  topic: TOPICS.playback,
  partition: "0",
  messages: events.map(
    (e, i): ConsumedMessage => ({
      topic: TOPICS.playback,
      partition: "0",
      offset: String(first + i),
      key: "k",
      value: new TextEncoder().encode(JSON.stringify(e)),
      headers: {},
      timestamp: Date.now(),
    }),
  ),
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-takeover-"));
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir });
  bus = await createBus(env);
  search = await createSearchStore(env);
  archive = await createArchive(env);
  await bus.start();
  await search.start();
  await search.init();
  await archive.start();
});
afterAll(async () => {
  await bus.shutdown();
  await search.shutdown();
  await archive.shutdown();
  await rm(dir, { recursive: true, force: true });
});

// Checkpoints only when the test says so (flush), so the interleaving is exact.
const sessionizer = () =>
  createSessionizer(
    { search, archive, bus, log, metrics: processorMetrics(createRegistry(`takeover-${registries++}`)) },
    { snapshotEveryMs: 3_600_000 },
  );

describe("sessionizer takeover with the old owner still running", () => {
  it("the new owner keeps every event it read when the old one writes the checkpoint log after the takeover", async () => {
    const v = timeline(
      [
        [0, "view_start"],
        [700, "startup_complete", { startup_ms: 700 }],
        [10_700, "heartbeat", { state: "playing", stats: { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 } }],
        [20_700, "heartbeat", { state: "playing", stats: { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 } }],
        [30_700, "view_end", { reason: "ended", stats: { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 } }],
      ],
      "takeover-view",
    );
    const a = sessionizer();
    const aCommit = testCommitter(1);
    // A folds offset 0, checkpoints and commits it.
    await a.handle(batch(0, [v[0]!]), aCommit.commit);
    await a.flush(aCommit.commit);
    expect(aCommit.state.commits.at(-1)?.offset).toBe("0");

    // A's session expires while it handles offset 1; the group gives the partition to B, which
    // restores the checkpoint and reads on from the commit: offsets 1 and 2.
    const b = sessionizer();
    const bCommit = testCommitter(1);
    await b.handle(batch(1, [v[1]!, v[2]!]), bCommit.commit);

    // A, not yet told, checkpoints offset 1 (the broker then refuses its commit: fenced).
    await a.handle(batch(1, [v[1]!]), aCommit.commit);
    const fenced = testCommitter(1, { failCommits: 1 });
    await a.flush(fenced.commit).catch(() => undefined);

    // B checkpoints, then reads offset 3 and 4 and checkpoints again.
    await b.flush(bCommit.commit).catch(() => undefined);
    for (const [offset, e] of [
      [3, v[3]!],
      [4, v[4]!],
    ] as const) {
      await b.handle(batch(offset, [e]), bCommit.commit).catch(() => undefined);
      await b.flush(bCommit.commit).catch(() => undefined);
    }

    // Whatever B had to do, every event of the view is in its record, and a restart agrees.
    // A, fenced, folds nothing more under the hold it lost.
    await expect(a.handle(batch(2, [v[2]!]), aCommit.commit)).rejects.toThrow(StaleBatchError);
    expect(await search.getView("takeover-view")).toMatchObject({ events: 5, last_seq: 4, status: "ended" });
    const c = sessionizer();
    await c.handle(batch(5, [v[4]!]), testCommitter(2).commit);
    await c.flush(testCommitter(2).commit);
    expect(await search.getView("takeover-view")).toMatchObject({ events: 5, last_seq: 4, status: "ended" });
  });

  it("a new owner whose claim collides with the old owner's last write reads the log again, losing nothing", async () => {
    const v = timeline(
      [
        [0, "view_start"],
        [700, "startup_complete", { startup_ms: 700 }],
        [10_700, "heartbeat", { state: "playing", stats: { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 } }],
        [20_700, "view_end", { reason: "ended", stats: { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 } }],
      ],
      "claim-view",
    );
    const partition = "7";
    const at = (first: number, events: object[]) => {
      const b = batch(first, events);
      return { ...b, partition, messages: b.messages.map((m) => ({ ...m, partition })) };
    };
    const a = sessionizer();
    const aCommit = testCommitter(1);
    await a.handle(at(0, [v[0]!]), aCommit.commit);
    await a.flush(aCommit.commit);
    await a.handle(at(1, [v[1]!]), aCommit.commit);

    // B restores A's log; just before B's claim (its first write) lands, A writes the same number.
    let raced = false;
    const racing = Object.assign(Object.create(archive) as Archive, {
      put: async (key: string, body: Uint8Array, o?: Parameters<Archive["put"]>[2]) => {
        if (!raced && key.includes(`/${partition}/`)) {
          raced = true;
          await a.flush(testCommitter(1, { failCommits: 1 }).commit).catch(() => undefined);
        }
        return archive.put(key, body, o);
      },
    });
    const b = createSessionizer(
      { search, archive: racing, bus, log, metrics: processorMetrics(createRegistry(`takeover-${registries++}`)) },
      { snapshotEveryMs: 3_600_000 },
    );
    const bCommit = testCommitter(1);
    // The group's commit is still offset 0: B reads from offset 1.
    await b.handle(at(1, [v[1]!, v[2]!, v[3]!]), bCommit.commit);
    await b.flush(bCommit.commit);
    expect(raced).toBe(true);
    expect(await search.getView("claim-view")).toMatchObject({ events: 4, last_seq: 3, status: "ended" });
  });

  it("the rightful owner whose checkpoint collides with the old owner's late claim reads the partition again instead of stalling", async () => {
    const v = timeline(
      [
        [0, "view_start"],
        [700, "startup_complete", { startup_ms: 700 }],
        [10_700, "heartbeat", { state: "playing", stats: { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 } }],
        [20_700, "heartbeat", { state: "playing", stats: { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 } }],
        [30_700, "view_end", { reason: "ended", stats: { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 } }],
      ],
      "late-claim-view",
    );
    const partition = "8";
    const at = (first: number, events: object[]) => {
      const b = batch(first, events);
      return { ...b, partition, messages: b.messages.map((m) => ({ ...m, partition })) };
    };
    // The first owner folds offset 0, checkpoints and commits it, then loses the partition.
    const first = sessionizer();
    const firstCommit = testCommitter(1);
    await first.handle(at(0, [v[0]!]), firstCommit.commit);
    await first.flush(firstCommit.commit);

    // B takes over (claiming the log as it restores) and folds offsets 1 and 2.
    const b = sessionizer();
    const bCommit = testCommitter(1);
    await b.handle(at(1, [v[1]!, v[2]!]), bCommit.commit);
    // C had taken the partition just before B and is not told yet: its first batch arrives only
    // now, so it restores after B's claim and its own claim goes on top of B's.
    const c = sessionizer();
    await c.handle(at(1, [v[1]!]), testCommitter(1).commit);

    // B's next checkpoint collides: B reads the partition again from the last commit (offset 0)
    // under a new hold, which the bus delivers again with the rest.
    await b.flush(bCommit.commit);
    expect(bCommit.state.rereads).toBe(1);
    await b.handle(at(1, [v[1]!, v[2]!, v[3]!, v[4]!]), bCommit.commit);
    await b.flush(bCommit.commit);
    expect(bCommit.state.commits.at(-1)?.offset).toBe("4");
    expect(await search.getView("late-claim-view")).toMatchObject({ events: 5, last_seq: 4, status: "ended" });
  });
});
