import type { Archive, Bus, SearchStore } from "@reeltime/connectors";
import { archivePrefix, exampleEvent, type PlaybackEvent, type ReeltimeEvent } from "@reeltime/events";
import { createLogger, createRegistry } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProcessors } from "../src/service.ts";
import { computeView } from "../src/sessionizer/compute.ts";
import { archivedIds, embeddedStores, publishAll, syntheticEvents, waitFor } from "./fixtures.ts";

const log = createLogger("processors-test", { level: process.env.LOG_LEVEL ?? "silent" });
const tuning = {
  indexer: { maxDelayMs: 50 },
  archiver: { maxAgeMs: 200, maxRows: 700 },
  snapshotEveryMs: 100,
  lagIntervalMs: 200,
};

let bus: Bus;
let search: SearchStore;
let archive: Archive;

let stores: Awaited<ReturnType<typeof embeddedStores>>;
beforeAll(async () => {
  stores = await embeddedStores("proc", 3);
  ({ bus, search, archive } = stores);
});
afterAll(() => stores.close());

describe("processors on the embedded bus, search and archive", () => {
  const events = syntheticEvents(300);
  const half = Math.floor(events.length / 2);

  it("survive a crash mid-stream: exactly N docs, N archived rows, views equal a reference", async () => {
    const registry = createRegistry("test");
    await publishAll(bus, events.slice(0, half));
    const first = await startProcessors({ bus, search, archive, log, registry }, undefined, tuning);
    await waitFor("some progress", async () => (await search.lastN({ app_id: "drill" }, 5)).length > 0, 30_000);
    // Crash: the subscriptions stop without flushing buffers or committing what is pending.
    await Promise.all(first.running.map((r) => r.abandon()));

    await publishAll(bus, events.slice(half));
    const second = await startProcessors(
      { bus, search, archive, log, registry: createRegistry("test2") },
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
            (await search.lastN({ app_id: "drill" }, 10_000)).length === events.length
          );
        },
        60_000,
      );
      await second.stop(); // flushes the archiver's open cuts
    } finally {
      await second.stop();
    }

    const docs = await search.lastN({ app_id: "drill" }, 10_000);
    expect(new Set(docs.map((d) => d.event_id)).size).toBe(events.length);
    expect(docs.length).toBe(events.length);

    const ids = await archivedIds(archive, "events/");
    expect(ids.length).toBe(events.length);
    expect(new Set(ids).size).toBe(events.length);

    const byView = new Map<string, PlaybackEvent[]>();
    for (const e of events)
      if (e.event_type.startsWith("playback.")) {
        const p = e as PlaybackEvent;
        byView.set(p.view_id, [...(byView.get(p.view_id) ?? []), p]);
      }
    for (const [viewId, evs] of byView) {
      const stored = await search.getView(viewId);
      expect(stored, viewId).toEqual(computeView(evs));
    }
  }, 120_000);
});

describe("the platform's event families", () => {
  it("upload and notification events are indexed (title found by the fuzzy search, the email never stored) and archived", async () => {
    const up = {
      ...exampleEvent("upload.completed"),
      app_id: "platform",
      video: { id: "vid-platform-1", title: "Sintel trailer" },
    };
    const sent = { ...exampleEvent("notification.sent"), app_id: "platform" };
    await publishAll(bus, [up, sent] as ReeltimeEvent[]);
    const run = await startProcessors(
      { bus, search, archive, log, registry: createRegistry("platform") },
      ["indexer", "archiver"],
      tuning,
    );
    try {
      await waitFor(
        "both indexed and archived",
        async () => {
          await search.refresh();
          const lags = await Promise.all(run.running.map((r) => r.lag()));
          return lags.flat().every((l) => l.lag === 0) && (await search.lastN({ app_id: "platform" }, 10)).length === 2;
        },
        60_000,
      );
      const hits = await search.search("sintel trailr", { app_id: "platform" }, 5);
      expect(hits.map((h) => h.event.event_id)).toContain(up.event_id);
      const stored = (await search.lastN({ app_id: "platform" }, 10)).find((e) => e.event_id === up.event_id)!;
      expect((stored as { owner?: Record<string, unknown> }).owner).toEqual({ id: "user-42" });
      await waitFor(
        "archived",
        async () => (await archivedIds(archive, archivePrefix.family("upload"))).includes(up.event_id),
        30_000,
      );
      expect(await archivedIds(archive, archivePrefix.family("notification"))).toContain(sent.event_id);
    } finally {
      await run.stop();
    }
  });
});
