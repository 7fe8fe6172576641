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
  type Position,
  type SearchStore,
} from "@reeltime/connectors";
import { ALL_TOPICS, TOPICS } from "@reeltime/events";
import type { Committer } from "@reeltime/processing";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { archivedEventIds, publishEvents, syntheticEvents } from "@reeltime/testkit/workload";

export { syntheticEvents };
export const publishAll = publishEvents;
export const archivedIds = archivedEventIds;

/**
 * The embedded bus (every topic, `partitions` each), search store and archive in a fresh
 * folder `reeltime-<name>-…`, started; `close` shuts them down and removes the folder.
 */
export async function embeddedStores(name: string, partitions = 2) {
  const dir = await mkdtemp(join(tmpdir(), `reeltime-${name}-`));
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir });
  const bus: Bus = await createBus(env);
  const search: SearchStore = await createSearchStore(env);
  const archive: Archive = await createArchive(env);
  for (const c of [bus, search, archive]) await c.start();
  await bus.ensureTopics(ALL_TOPICS.map((t) => ({ name: t, partitions })));
  await search.init();
  return {
    dir,
    bus,
    search,
    archive,
    async close() {
      for (const c of [bus, search, archive]) await c.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A committer for driving a processor by hand: the test sets its hold (undefined: not owned),
 * reads what was committed, and may have the first `failCommits` commits refused.
 */
export function testCommitter(hold: number | undefined, opts: { failCommits?: number } = {}) {
  let fail = opts.failCommits ?? 0;
  const state = { hold, commits: [] as Position[], rereads: 0 };
  const commit = Object.assign(
    async (positions: Position[]) => {
      if (fail > 0) {
        fail--;
        throw new Error("commit refused: the group is rebalancing");
      }
      state.commits.push(...positions);
    },
    {
      hold: () => state.hold,
      // As a bus does: the partition comes again from the last commit, under a new hold.
      reread: async () => {
        state.rereads++;
        if (state.hold !== undefined) state.hold += 1000;
      },
    },
  ) as Committer;
  return { commit, state };
}

/** Batches of playback events as a consumer would deliver them, numbered by one running offset. */
export function playbackBatches() {
  let offset = 0;
  return {
    /** The next offset to be given out (the last one given is offset - 1). */
    get offset() {
      return offset;
    },
    batch: (events: object[], partition = "0") => ({
      topic: TOPICS.playback,
      partition,
      messages: events.map(
        (e): ConsumedMessage => ({
          topic: TOPICS.playback,
          partition,
          offset: String(offset++),
          key: "k",
          value: new TextEncoder().encode(JSON.stringify(e)),
          headers: {},
          timestamp: Date.now(),
        }),
      ),
    }),
  };
}
