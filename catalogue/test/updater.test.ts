import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { type Bus, type ConsumedBatch, createBus, type DeadLetter } from "@reeltime/connectors";
import { type Database, MEMORY_URL, openDatabase } from "@reeltime/database";
import { TOPICS } from "@reeltime/events";
import { classifyFailure, processorMetrics, runProcessor } from "@reeltime/processing";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { RecordingBus } from "@reeltime/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CatalogueEvent } from "../src/state.ts";
import { getVideo } from "../src/store.ts";
import { CatalogueUpdater, migrateCatalogue } from "../src/updater.ts";
import { makeEvent } from "./events.ts";
import { RecordingArchive, RecordingIndex, switchable, waitFor } from "./helpers.ts";
import { referenceRecord } from "./reference.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

let raw: Database;
beforeAll(async () => {
  raw = await openDatabase({ REELTIME_PG_URL: MEMORY_URL });
  expect(await migrateCatalogue(raw)).toEqual({ applied: [1, 2, 3] });
  expect(await migrateCatalogue(raw)).toEqual({ applied: [] });
}, 120_000);
afterAll(() => raw.close());

let offset = 0;
function batchOf(topic: string, values: unknown[]): ConsumedBatch {
  return {
    topic,
    partition: "0",
    messages: values.map((v) => ({
      topic,
      partition: "0",
      offset: String(offset++),
      key: "k",
      value: enc.encode(typeof v === "string" ? v : JSON.stringify(v)),
      headers: {},
      timestamp: Date.now(),
    })),
  } as unknown as ConsumedBatch;
}

function lifecycle(app: string, video: string) {
  return [
    makeEvent({ type: "upload.created", n: 1, minute: 0, app, video, title: "Sintel", email: "owner@example.com" }),
    makeEvent({ type: "upload.completed", n: 2, minute: 1, app, video, email: "owner@example.com" }),
    makeEvent({ type: "job.created", n: 3, minute: 2, app, video }),
    makeEvent({ type: "job.step_completed", n: 4, minute: 3, app, video, step: "probe" }),
    makeEvent({ type: "job.step_completed", n: 5, minute: 3, app, video, step: "rendition", rendition: "720p" }),
    makeEvent({ type: "job.step_completed", n: 6, minute: 4, app, video, step: "manifest" }),
    makeEvent({ type: "job.completed", n: 7, minute: 5, app, video }),
  ];
}

describe("the catalogue updater", () => {
  it("keeps the row of each video and writes its public record (no owner email) to search", async () => {
    const search = new RecordingIndex();
    const bus = new RecordingBus();
    const u = new CatalogueUpdater({ db: raw, bus, search });
    const events = lifecycle("app-u", "v1");
    // Job events first, in reverse, then the uploads twice: order and repeats do not matter.
    await u.handle(batchOf(TOPICS.job, events.slice(2).reverse()));
    await u.handle(batchOf(TOPICS.upload, [...events.slice(0, 2), ...events.slice(0, 2)]));
    const row = await getVideo(raw, "app-u", "v1");
    expect(row).toEqual(referenceRecord(events, "app-u", "v1"));
    expect(row).toMatchObject({ status: "ready", title: "Sintel", owner_email: "owner@example.com" });
    const { owner_email: _private, ...pub } = row!;
    expect(search.records.get("app-u/v1")).toEqual(pub);
    expect(JSON.stringify([...search.records.values()])).not.toContain("owner@example.com");
    expect(bus.published).toEqual([]);
  });

  it("dead-letters what it cannot read, with the reason, and handles the rest of the batch", async () => {
    const search = new RecordingIndex();
    const bus = new RecordingBus();
    const u = new CatalogueUpdater({ db: raw, bus, search });
    const good = makeEvent({ type: "upload.completed", n: 1, minute: 0, app: "app-d", video: "v1" });
    const { upload: _u, ...noUpload } = makeEvent({
      type: "upload.completed",
      n: 2,
      minute: 0,
      app: "app-d",
      video: "v2",
    }) as Extract<CatalogueEvent, { upload: unknown }>;
    const { app_id: _a, ...noApp } = makeEvent({ type: "job.created", n: 3, minute: 0, app: "app-d", video: "v3" });
    await u.handle(
      batchOf(TOPICS.upload, ["not json {", { ...good, event_type: "playback.play" }, noUpload, good, noApp]),
    );
    const letters = bus.published.map((p) => {
      expect(p.topic).toBe(TOPICS.deadLetter);
      return JSON.parse(dec.decode(p.message.value)) as DeadLetter;
    });
    expect(letters.map((l) => [l.stage, l.reason])).toEqual([
      ["catalogue", "not_json"],
      ["catalogue", "not_a_catalogue_event"],
      ["catalogue", "schema"],
    ]);
    expect(letters[2]!.message).toContain("upload");
    expect(await getVideo(raw, "app-d", "v1")).toMatchObject({ status: "uploaded" });
    // An event of no app (a local pipeline run) is no catalogue video: skipped, not a letter.
    expect(await getVideo(raw, "app-d", "v3")).toBeUndefined();
  });

  it("fails the batch as retryable when PostgreSQL is down: no letter, nothing written; the same batch later applies", async () => {
    const db = switchable(raw);
    const search = new RecordingIndex();
    const bus = new RecordingBus();
    const u = new CatalogueUpdater({ db, bus, search });
    const batch = batchOf(TOPICS.job, lifecycle("app-p", "v1").slice(2));
    db.down = true;
    const err = await u.handle(batch).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "REELTIME_ERR_DATABASE_UNAVAILABLE", retryable: true });
    expect(classifyFailure(err)).toBe("transient");
    expect(bus.published).toEqual([]);
    expect(search.calls).toBe(0);
    db.down = false;
    await u.handle(batch);
    expect(await getVideo(raw, "app-p", "v1")).toMatchObject({ status: "ready" });
  });

  it("writes search again when the batch comes back after search failed, though the rows did not change", async () => {
    const search = new RecordingIndex();
    const u = new CatalogueUpdater({ db: raw, bus: new RecordingBus(), search });
    const batch = batchOf(TOPICS.upload, lifecycle("app-s", "v1").slice(0, 2));
    search.down = true;
    await expect(u.handle(batch)).rejects.toMatchObject({ code: "REELTIME_ERR_SEARCH_UNAVAILABLE" });
    search.down = false;
    await u.handle(batch);
    expect(search.records.get("app-s/v1")).toMatchObject({ status: "uploaded", title: "Sintel" });
  });

  it("archives each video's public record with its row's revision: one more per change, the same on a replay", async () => {
    const search = new RecordingIndex();
    const archive = new RecordingArchive();
    const u = new CatalogueUpdater({ db: raw, bus: new RecordingBus(), search, archive });
    const events = lifecycle("app-r", "v1");
    const jobs = batchOf(TOPICS.job, events.slice(2));
    const uploads = batchOf(TOPICS.upload, events.slice(0, 2));
    await u.handle(jobs); // the row is made: revision 1
    await u.handle(uploads); // the upload's facts change it: revision 2
    await u.handle(batchOf(TOPICS.upload, events.slice(0, 2))); // a replay: nothing changes
    await u.handle(batchOf(TOPICS.job, events.slice(2).reverse()));
    expect(archive.written.map((r) => [r.video_id, r.revision, r.status, r.title])).toEqual([
      ["v1", 1, "ready", undefined],
      ["v1", 2, "ready", "Sintel"],
      ["v1", 2, "ready", "Sintel"],
      ["v1", 2, "ready", "Sintel"],
    ]);
    // The highest revision is the row as the API answers it, without the owner's email.
    const { owner_email: _private, ...pub } = (await getVideo(raw, "app-r", "v1"))!;
    expect(archive.written[1]).toEqual({ ...pub, revision: 2 });
    expect(archive.written[3]).toEqual(archive.written[1]);
    expect(JSON.stringify(archive.written)).not.toContain("owner@example.com");
    // What search holds is unchanged: the record without the revision.
    expect(search.records.get("app-r/v1")).toEqual(pub);
  });

  it("fails the batch as retryable when the archive is down; the batch again archives the merged row", async () => {
    const archive = new RecordingArchive();
    const u = new CatalogueUpdater({ db: raw, bus: new RecordingBus(), search: new RecordingIndex(), archive });
    const batch = batchOf(TOPICS.upload, lifecycle("app-ad", "v1").slice(0, 2));
    archive.down = true;
    const err = await u.handle(batch).catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: true });
    expect(classifyFailure(err)).toBe("transient");
    archive.down = false;
    await u.handle(batch);
    expect(archive.written.map((r) => [r.video_id, r.revision, r.status, r.title])).toEqual([
      ["v1", 1, "uploaded", "Sintel"],
    ]);
  });
});

describe("the catalogue updater as a consumer group", () => {
  let dir: string;
  let bus: Bus;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reeltime-catalogue-"));
    bus = await createBus(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir }));
    await bus.start();
    await bus.ensureTopics([
      { name: TOPICS.upload, partitions: 2 },
      { name: TOPICS.job, partitions: 2 },
      { name: TOPICS.deadLetter, partitions: 1 },
    ]);
  }, 60_000);
  afterAll(async () => {
    await bus.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it("rebuilds the same rows from shuffled, repeated topics; poison and an event PostgreSQL refuses go to dead letters and the partition moves on; PostgreSQL down is waited out", async () => {
    const db = switchable(raw);
    const search = new RecordingIndex();
    const videos = ["g1", "g2", "g3"];
    const events = videos.flatMap((v) => lifecycle("app-g", v));
    const publish = async (list: typeof events) => {
      for (const e of list)
        await bus.publish(e.event_type.startsWith("upload.") ? TOPICS.upload : TOPICS.job, [
          { key: e.video!.id, value: enc.encode(JSON.stringify(e)) },
        ]);
    };
    db.down = true;
    await publish([...events].reverse());
    await bus.publish(TOPICS.upload, [{ key: "g1", value: enc.encode("{poison") }]);
    // PostgreSQL refuses a NUL in text: content, so this one event goes to dead letters alone.
    const nul = makeEvent({
      type: "upload.completed",
      n: 9,
      minute: 0,
      app: "app-g",
      video: "g-nul",
      title: "a\u0000b",
    });
    await publish([...events.slice(0, 3), nul, ...events.slice(3)]);
    const log = createLogger("catalogue-test", { level: "silent" });
    const running = await runProcessor(new CatalogueUpdater({ db, bus, search }), {
      bus,
      log,
      metrics: processorMetrics(createRegistry("catalogue-test")),
    });
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect(await getVideo(raw, "app-g", "g1")).toBeUndefined();
      db.down = false;
      // Upload and job partitions are consumed apart: wait for both to be through.
      const expected = videos.map((v) => referenceRecord(events, "app-g", v));
      const current = () => Promise.all(videos.map((v) => getVideo(raw, "app-g", v)));
      await waitFor("the three videos' rows", async () => isDeepStrictEqual(await current(), expected));
      expect(await current()).toEqual(expected);
      await waitFor("the videos in search", async () => videos.every((v) => search.records.has(`app-g/${v}`)));
    } finally {
      await running.stop();
    }
    const letters: DeadLetter[] = [];
    const sub = await bus.consume({
      group: "catalogue-test-letters",
      topics: [TOPICS.deadLetter],
      commit: "after-handler",
      handler: async (b) => {
        for (const m of b.messages) letters.push(JSON.parse(dec.decode(m.value)) as DeadLetter);
      },
    });
    await waitFor("the dead letters", async () => letters.length >= 2);
    await sub.stop();
    expect(letters.map((l) => [l.stage, l.reason, l.event_id]).sort()).toEqual([
      ["catalogue", "not_json", undefined],
      ["catalogue", "unprocessable", nul.event_id],
    ]);
    expect(await getVideo(raw, "app-g", "g-nul")).toBeUndefined();
  });
});
