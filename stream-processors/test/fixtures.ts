import type { ConsumedMessage, Position } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import type { Committer } from "@reeltime/processing";
import { archivedEventIds, publishEvents, syntheticEvents } from "@reeltime/testkit/workload";

export { syntheticEvents };
export const publishAll = publishEvents;
export const archivedIds = archivedEventIds;

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
