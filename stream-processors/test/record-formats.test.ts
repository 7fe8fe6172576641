import {
  type Archive,
  BATCH_V1,
  type Bus,
  type DeadLetter,
  RECORD_FORMAT_HEADER,
  type SearchStore,
} from "@reeltime/connectors";
import { type PlaybackEvent, routeOf, TOPICS } from "@reeltime/events";
import { createLogger, createRegistry } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProcessors } from "../src/service.ts";
import { computeView } from "../src/sessionizer/compute.ts";
import { archivedIds, embeddedStores, publishAll, syntheticEvents, waitFor } from "./fixtures.ts";

const log = createLogger("record-formats-test", { level: process.env.LOG_LEVEL ?? "silent" });
const tuning = {
  indexer: { maxDelayMs: 50 },
  archiver: { maxAgeMs: 200, maxRows: 700 },
  snapshotEveryMs: 100,
  lagIntervalMs: 200,
};
const dec = new TextDecoder();
/** An element of a batch record that is not an event (its JSON text is what a dead letter keeps). */
const BAD = '"not an event"';

let bus: Bus;
let search: SearchStore;
let archive: Archive;

let stores: Awaited<ReturnType<typeof embeddedStores>>;
beforeAll(async () => {
  stores = await embeddedStores("formats", 3);
  ({ bus, search, archive } = stores);
});
afterAll(() => stores.close());

describe("processors reading both record formats", () => {
  const events = syntheticEvents(300, { app: "formats" });
  const third = Math.floor(events.length / 3);

  it("old records, then a crash, then old and batch records mixed: exactly N docs, N archived rows, views equal a reference; a bad event of a batch is dead-lettered alone", async () => {
    // Before the upgrade: one record per event.
    await publishAll(bus, events.slice(0, third), 50, "event");
    const first = await startProcessors(
      { bus, search, archive, log, registry: createRegistry("a") },
      undefined,
      tuning,
    );
    await waitFor("some progress", async () => (await search.lastN({ app_id: "formats" }, 5)).length > 0, 30_000);
    // Crash: nothing flushed, nothing pending committed.
    await Promise.all(first.running.map((r) => r.abandon()));

    // During the upgrade: requests in either format; one event comes only inside a batch record
    // that also holds an element that is no event, and the event again (a duplicate).
    const victim = events.slice(third).find((e) => e.event_type === "playback.heartbeat") as PlaybackEvent;
    const rest = events.slice(third).filter((e) => e !== victim);
    for (let i = 0, n = 0; i < rest.length; i += 50, n++)
      await publishAll(bus, rest.slice(i, i + 50), 50, n % 2 === 0 ? "batch-v1" : "event");
    const json = JSON.stringify(victim);
    await bus.publish(TOPICS.playback, [
      {
        key: routeOf(victim).key,
        value: new TextEncoder().encode(`[${json},\n${BAD},\n${json}]`),
        headers: { [RECORD_FORMAT_HEADER]: BATCH_V1 },
      },
    ]);

    const second = await startProcessors(
      { bus, search, archive, log, registry: createRegistry("b") },
      undefined,
      tuning,
    );
    try {
      await waitFor(
        "everything indexed and archived",
        async () => {
          await search.refresh();
          const lags = await Promise.all(second.running.map((r) => r.lag()));
          return (
            lags.flat().every((l) => l.lag === 0) &&
            (await search.lastN({ app_id: "formats" }, 10_000)).length === events.length
          );
        },
        60_000,
      );
    } finally {
      await second.stop(); // flushes the archiver's open cuts
    }

    const all = events;
    const docs = await search.lastN({ app_id: "formats" }, 10_000);
    expect(docs.length).toBe(all.length);
    expect(new Set(docs.map((d) => d.event_id))).toEqual(new Set(all.map((e) => e.event_id)));

    const ids = await archivedIds(archive, "events/", "formats");
    expect(ids.length).toBe(all.length);
    expect(new Set(ids)).toEqual(new Set(all.map((e) => e.event_id)));

    const byView = new Map<string, PlaybackEvent[]>();
    for (const e of all)
      if (e.event_type.startsWith("playback.")) {
        const p = e as PlaybackEvent;
        byView.set(p.view_id, [...(byView.get(p.view_id) ?? []), p]);
      }
    for (const [viewId, evs] of byView) expect(await search.getView(viewId), viewId).toEqual(computeView(evs));

    // The bad element, alone, once per processor that reads playback, with that processor's reason.
    const letters: DeadLetter[] = [];
    const sub = await bus.consume({
      group: "formats-letters",
      topics: [TOPICS.deadLetter],
      handler: async (b) => {
        for (const m of b.messages) letters.push(JSON.parse(dec.decode(m.value)) as DeadLetter);
      },
    });
    try {
      await waitFor("the dead letters", async () => letters.length >= 4, 10_000);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await sub.stop();
    }
    expect(letters.map((l) => [l.stage, l.reason, l.topic, l.payload]).sort()).toEqual(
      [
        ["archiver", "not_json", TOPICS.playback, BAD],
        ["indexer", "not_json", TOPICS.playback, BAD],
        ["sessionizer", "not_foldable", TOPICS.playback, BAD],
        ["view-archiver", "not_foldable", TOPICS.playback, BAD],
      ].sort(),
    );
  }, 120_000);
});
