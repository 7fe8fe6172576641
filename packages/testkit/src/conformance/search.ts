import type { DeadLetter, SearchStore, StoredEvent } from "@reeltime/connectors";
import { type EventType, exampleEvent, type JobRecord, type VideoRecord, type ViewRecord } from "@reeltime/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

export interface SearchConformanceOptions {
  /** A store whose backing service is down (Elasticsearch: a closed port; embedded: an unusable data dir). */
  makeDownStore: () => Promise<SearchStore>;
  /** Documents for the batch test (default 5,000). */
  batchSize?: number;
}

type Patch = Record<string, unknown>;

/** Every run gets its own ids, so reruns against a persistent store never see each other's documents. */
const RUN = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
let apps = 0;
const newApp = () => `ct-${RUN}-${++apps}`;

/** Whole seconds an hour ago: every store keeps millisecond precision. */
const T0 = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
const at = (secondsAfterT0: number) => new Date(T0 + secondsAfterT0 * 1000);

/** An example event of `type` for `app`, received `s` seconds after T0, with top-level fields replaced. */
function event(type: EventType, app: string, s: number, patch: Patch = {}): StoredEvent {
  return {
    ...exampleEvent(type),
    app_id: app,
    received_at: at(s).toISOString(),
    page: { url: `https://video.example.com/watch/${type.replace(".", "-")}` },
    ...patch,
  } as StoredEvent;
}

const ids = (events: StoredEvent[]) => events.map((e) => e.event_id);
const newestFirst = (events: StoredEvent[]) =>
  [...events].sort(
    (a, b) => Date.parse(b.received_at) - Date.parse(a.received_at) || (a.event_id < b.event_id ? 1 : -1),
  );

function view(viewId: string, app: string, patch: Partial<ViewRecord> = {}): ViewRecord {
  const t = at(0).toISOString();
  return {
    view_id: viewId,
    session_id: "sess-ct",
    app_id: app,
    video_id: "vid-big-buck-bunny",
    video_title: "Big Buck Bunny",
    status: "active",
    started_at: t,
    last_event_at: t,
    updated_at: t,
    events: 3,
    last_seq: 3,
    reached_first_frame: true,
    startup_ms: 850,
    ebvs: false,
    startup_failure: false,
    playback_failure: false,
    non_fatal_errors: 0,
    business_errors: 0,
    playing_ms: 11_650,
    watch_ms: 12_500,
    paused_ms: 0,
    rebuffer_count: 1,
    rebuffer_ms: 420,
    rebuffer_ratio: 0.034,
    rebuffer_frequency: 5.1,
    seek_count: 0,
    seek_latency_ms: 0,
    rendition_switches: 1,
    switches_up: 1,
    switches_down: 0,
    dropped_frames: 0,
    max_milestone: 0,
    requests: 4,
    request_failures: 0,
    smoothness_score: 90,
    playback_success_score: 100,
    ...patch,
  };
}

function job(jobId: string, app: string, patch: Partial<JobRecord> = {}): JobRecord {
  const t = at(0).toISOString();
  return {
    job_id: jobId,
    app_id: app,
    video_id: "vid-big-buck-bunny",
    status: "running",
    source: "uploads/big-buck-bunny.mp4",
    created_at: t,
    updated_at: t,
    renditions_completed: 0,
    retries: 0,
    total_bytes: 0,
    last_seq: 1,
    steps: [{ step: "probe", status: "completed", attempts: 1, duration_ms: 120 }],
    ...patch,
  };
}

function video(videoId: string, app: string, patch: Partial<VideoRecord> = {}): VideoRecord {
  const t = at(0).toISOString();
  return {
    video_id: videoId,
    app_id: app,
    title: "Big Buck Bunny",
    status: "processing",
    renditions: [],
    manifests: [],
    thumbnails: [],
    uploaded_at: t,
    processing_at: t,
    updated_at: t,
    ...patch,
  };
}

function letter(id: string, reason: string, s: number, patch: Partial<DeadLetter> = {}): DeadLetter {
  return {
    dead_letter_id: id,
    stage: "ingest",
    reason,
    message: `/seq: must be an integer (${id})`,
    topic: "reeltime.playback",
    payload: { event_type: "playback.play", seq: "x" },
    received_at: at(s).toISOString(),
    ...patch,
  };
}

/**
 * The SearchStore promises, run unchanged against every adapter. `makeStore` returns a new,
 * unstarted store over the same backing data each time it is called (so a second instance
 * is a restart).
 */
export function searchConformance(
  name: string,
  makeStore: () => Promise<SearchStore>,
  opts: SearchConformanceOptions,
): void {
  describe(`SearchStore conformance: ${name}`, () => {
    let store: SearchStore;
    beforeAll(async () => {
      store = await makeStore();
      await store.init();
      await store.init();
    });
    afterAll(async () => {
      await store?.shutdown();
    });

    it("reports healthy once started", async () => {
      const h = await store.health();
      expect(h).toMatchObject({ ok: true, driver: store.driver });
    });

    it("indexes idempotently by event_id: a duplicate is a success, stored once", async () => {
      const app = newApp();
      const e = event("playback.play", app, 1);
      expect(await store.index([e, e])).toEqual({ indexed: 1, duplicates: 1, rejected: [] });
      expect(await store.index([e, { ...e, seq: 99 }])).toEqual({ indexed: 0, duplicates: 2, rejected: [] });
      await store.refresh();
      const found = await store.lastN({ app_id: app }, 10);
      expect(ids(found)).toEqual([e.event_id]);
      expect(found[0]).toEqual(e);
    });

    it("lastN is newest first by received_at, ties by event_id, at most n", async () => {
      const app = newApp();
      const events = Array.from({ length: 12 }, (_, i) => event("playback.heartbeat", app, i, { seq: i }));
      events.push(event("playback.pause", app, 5), event("playback.pause", app, 5));
      const shuffled = [...events].sort(() => Math.random() - 0.5);
      expect((await store.index(shuffled)).indexed).toBe(events.length);
      await store.refresh();
      const expected = ids(newestFirst(events));
      expect(ids(await store.lastN({ app_id: app }, 5))).toEqual(expected.slice(0, 5));
      expect(ids(await store.lastN({ app_id: app }, 100))).toEqual(expected);
      expect(await store.lastN({ app_id: app }, 0)).toEqual([]);
    });

    it("lastN filters by every field, event types and a time range [from, to)", async () => {
      const app = newApp();
      const a = event("playback.play", app, 1, {
        view_id: "view-a",
        session_id: "sess-a",
        viewer_id: "viewer-a",
        video: { id: "vid-a", title: "A" },
      });
      const b = event("playback.error", app, 2, {
        view_id: "view-b",
        session_id: "sess-b",
        viewer_id: "viewer-b",
        video: { id: "vid-b", title: "B" },
      });
      const j1 = event("job.step_failed", app, 3);
      const j2 = event("job.completed", app, 4, { job: { id: "job-other", status: "completed" } });
      const otherApp = newApp();
      const other = event("playback.play", otherApp, 2, { view_id: "view-a" });
      await store.index([a, b, j1, j2, other]);
      await store.refresh();
      const q = async (f: Record<string, unknown>) => ids(await store.lastN({ app_id: app, ...f }, 50));
      expect(await q({})).toEqual(ids([j2, j1, b, a]));
      expect(await q({ view_id: "view-a" })).toEqual(ids([a]));
      expect(await q({ session_id: "sess-b" })).toEqual(ids([b]));
      expect(await q({ viewer_id: "viewer-a" })).toEqual(ids([a]));
      expect(await q({ video_id: "vid-b" })).toEqual(ids([b]));
      expect(await q({ job_id: "job-7f3a" })).toEqual(ids([j1]));
      expect(await q({ job_id: "job-other" })).toEqual(ids([j2]));
      expect(await q({ event_types: ["playback.error", "job.completed"] })).toEqual(ids([j2, b]));
      expect(await q({ event_types: [] })).toEqual([]);
      expect(await q({ from: at(2), to: at(4) })).toEqual(ids([j1, b]));
      expect(await q({ from: at(4) })).toEqual(ids([j2]));
      expect(await q({ to: at(2) })).toEqual(ids([a]));
      expect(await q({ view_id: "view-a", video_id: "vid-b" })).toEqual([]);
      expect(ids(await store.lastN({ view_id: "view-a", app_id: otherApp }, 5))).toEqual(ids([other]));
    });

    describe("typo-tolerant search over titles, error messages, URLs and job errors", () => {
      const app = newApp();
      const bunny = event("playback.play", app, 1, { view_id: "view-bunny" });
      const sintel = event("playback.play", app, 2, {
        view_id: "view-sintel",
        video: { id: "vid-sintel", title: "Sintel" },
      });
      const error = event("playback.error", app, 3, {
        view_id: "view-sintel",
        video: { id: "vid-sintel", title: "Sintel" },
        error: { severity: "fatal", code: "MEDIA_ERR_DECODE", message: "decode error in fragment 12" },
      });
      const kittens = event("playback.pause", app, 4, {
        view_id: "view-kittens",
        video: { id: "vid-kittens", title: "Tears of Steel" },
        page: { url: "https://shop.example.com/catalogue/kittens-playlist" },
      });
      const failed = event("job.step_failed", app, 5, {
        video: { id: "vid-sintel", title: "Sintel" },
      });
      const elsewhere = event("playback.play", newApp(), 6);

      beforeAll(async () => {
        const r = await store.index([bunny, sintel, error, kittens, failed, elsewhere]);
        expect(r.indexed).toBe(6);
        await store.refresh();
      });

      const search = async (text: string, f: Record<string, unknown> = {}) =>
        (await store.search(text, { app_id: app, ...f }, 10)).map((h) => h.event.event_id);

      it('finds "Big Buck Bunny" from "bunyn"', async () => {
        const hits = await store.search("bunyn", { app_id: app }, 10);
        expect(hits[0]?.event).toEqual(bunny);
        expect(hits[0]?.score).toBeGreaterThan(0);
        expect(hits.map((h) => h.event.event_id)).not.toContain(elsewhere.event_id);
      });

      it("finds error messages, URLs and job errors despite typos", async () => {
        expect((await search("framgent"))[0]).toBe(error.event_id);
        expect((await search("kitens"))[0]).toBe(kittens.event_id);
        expect((await search("catalouge"))[0]).toBe(kittens.event_id);
        expect((await search("ffmpge"))[0]).toBe(failed.event_id);
      });

      it("applies the same filters as lastN", async () => {
        expect(await search("bunyn", { view_id: "view-sintel" })).toEqual([]);
        expect(await search("sintl", { event_types: ["playback.error"] })).toEqual([error.event_id]);
        expect((await search("sintl", { view_id: "view-sintel" })).sort()).toEqual(ids([sintel, error]).sort());
        expect(await search("sintl", { job_id: "job-7f3a" })).toEqual([failed.event_id]);
        expect(await search("sintl", { from: at(3), to: at(4) })).toEqual([error.event_id]);
        expect(await search("qqqqqqqqqq")).toEqual([]);
        expect(await store.search("bunyn", { app_id: app }, 0)).toEqual([]);
      });
    });

    it("returns rejected documents with the store's reason instead of dropping them", async () => {
      const app = newApp();
      const good = event("playback.play", app, 1);
      const badType = event("playback.play", app, 2, { seq: "not-a-number" });
      const unknownField = event("playback.play", app, 3, { surprise: 1 });
      const unknownType = event("playback.play", app, 4, { event_type: "playback.teleport" });
      const r = await store.index([badType, good, unknownField, unknownType]);
      expect(r.indexed).toBe(1);
      expect(r.duplicates).toBe(0);
      expect(r.rejected.map((x) => x.event_id).sort()).toEqual(ids([badType, unknownField, unknownType]).sort());
      const reasonOf = (e: StoredEvent) => r.rejected.find((x) => x.event_id === e.event_id)!;
      expect(reasonOf(badType).reason).toMatch(/seq/);
      expect(reasonOf(unknownField).reason).toMatch(/surprise/);
      expect(reasonOf(unknownType).reason).toMatch(/teleport/);
      for (const x of r.rejected) {
        expect(x.event).toEqual([badType, unknownField, unknownType].find((e) => e.event_id === x.event_id));
        expect(x.status).toBe(400);
      }
      await store.refresh();
      expect(ids(await store.lastN({ app_id: app }, 10))).toEqual([good.event_id]);
    });

    it("accepts thousands of documents in one call", async () => {
      const app = newApp();
      const n = opts.batchSize ?? 5000;
      const events = Array.from({ length: n }, (_, i) =>
        event("playback.heartbeat", app, i / 1000, {
          seq: i,
          view_id: `view-${i % 50}`,
          attributes: { experiment: `arm-${i % 7}`, cohort: "conformance" },
        }),
      );
      expect(await store.index(events)).toEqual({ indexed: n, duplicates: 0, rejected: [] });
      expect(await store.index(events)).toEqual({ indexed: 0, duplicates: n, rejected: [] });
      await store.refresh();
      const last = await store.lastN({ app_id: app }, n);
      expect(last.length).toBe(n);
      expect(last[0]?.event_id).toBe(events.at(-1)?.event_id);
      expect(last.at(-1)?.event_id).toBe(events[0]?.event_id);
      expect((await store.lastN({ app_id: app, view_id: "view-7" }, n)).length).toBe(n / 50);
    });

    it("upserts views and jobs by id", async () => {
      const app = newApp();
      const v = view(`view-${app}`, app);
      await store.upsertViews([v, view(`view-${app}-2`, app)]);
      const ended = { ...v, status: "ended" as const, ended_at: at(60).toISOString(), events: 9 };
      await store.upsertViews([ended]);
      await store.refresh();
      expect(await store.getView(v.view_id)).toEqual(ended);
      expect(await store.getView(`view-${app}-missing`)).toBeUndefined();
      const j = job(`job-${app}`, app);
      await store.upsertJobs([j]);
      const failed = {
        ...j,
        status: "failed" as const,
        error_code: "FFMPEG_EXIT",
        error_message: "ffmpeg exited with status 1",
      };
      await store.upsertJobs([failed]);
      await store.refresh();
      expect(await store.getJob(j.job_id)).toEqual(failed);
      expect(await store.getJob(`job-${app}-missing`)).toBeUndefined();
    });

    it("upserts catalogue videos by app and id, apart per app, and refuses a field the mapping lacks", async () => {
      const app = newApp();
      const other = newApp();
      const v = video(`vid-${app}`, app);
      await store.upsertVideos([v, video(v.video_id, other, { title: "Sintel" })]);
      const ready = {
        ...v,
        status: "ready" as const,
        ready_at: at(60).toISOString(),
        updated_at: at(60).toISOString(),
        renditions: [{ id: "720p", width: 1280, height: 720, playlist: `media/${v.video_id}/720p/index.m3u8` }],
        manifests: [`media/${v.video_id}/master.m3u8`],
        upload_to_ready_ms: 60_000,
      };
      await store.upsertVideos([ready]);
      await store.refresh();
      expect(await store.getVideo(app, v.video_id)).toEqual(ready);
      expect(await store.getVideo(other, v.video_id)).toMatchObject({ app_id: other, title: "Sintel" });
      expect(await store.getVideo(app, `vid-${app}-missing`)).toBeUndefined();
      // The owner's email is the catalogue's alone: the videos mapping has no such field.
      const withEmail = { ...v, owner_email: "owner@example.com" } as VideoRecord;
      await expect(store.upsertVideos([withEmail])).rejects.toMatchObject({ code: "REELTIME_ERR_SEARCH_REJECTED" });
    });

    it("refuses a view or job the mapping does not allow, naming the field, without a retry hint", async () => {
      const app = newApp();
      const bad = { ...view(`view-${app}`, app), surprise: 1 } as ViewRecord;
      const refused = { code: "REELTIME_ERR_SEARCH_REJECTED", retryable: false, status: 400 };
      await expect(store.upsertViews([bad])).rejects.toMatchObject(refused);
      await expect(store.upsertViews([bad])).rejects.toThrow(/surprise/);
      const badJob = { ...job(`job-${app}`, app), total_bytes: "lots" } as unknown as JobRecord;
      await expect(store.upsertJobs([badJob])).rejects.toThrow(/total_bytes/);
    });

    it("keeps dead letters, queried by reason, stage and time, newest first", async () => {
      const reason = `schema-${RUN}`;
      const d1 = letter(`dl-${RUN}-1`, reason, 1);
      const d2 = letter(`dl-${RUN}-2`, reason, 2, { stage: "indexer" });
      const d3 = letter(`dl-${RUN}-3`, `${reason}-other`, 3);
      await store.indexDeadLetters([d1, d2, d3, d1]);
      await store.indexDeadLetters([d2]);
      await store.refresh();
      expect(await store.deadLetters({ reason }, 10)).toEqual([d2, d1]);
      expect(await store.deadLetters({ reason, stage: "ingest" }, 10)).toEqual([d1]);
      expect(await store.deadLetters({ reason, since: at(2) }, 10)).toEqual([d2]);
      expect(await store.deadLetters({ reason, until: at(2) }, 10)).toEqual([d1]);
      expect(await store.deadLetters({ reason: `${reason}-other` }, 10)).toEqual([d3]);
      expect(await store.deadLetters({ reason }, 1)).toEqual([d2]);
      const odd = { ...letter(`dl-${RUN}-odd`, reason, 4), partition: 3 } as DeadLetter;
      await expect(store.indexDeadLetters([odd])).rejects.toMatchObject({
        code: "REELTIME_ERR_SEARCH_REJECTED",
        message: expect.stringMatching(/partition/),
      });
    });

    it("loses nothing across a restart", async () => {
      const app = newApp();
      const first = await makeStore();
      const events = Array.from({ length: 50 }, (_, i) => event("playback.heartbeat", app, i, { seq: i }));
      const v = view(`view-${app}`, app);
      const j = job(`job-${app}`, app);
      const d = letter(`dl-${app}`, `restart-${RUN}`, 1);
      await first.index(events);
      await first.upsertViews([v]);
      await first.upsertJobs([j]);
      await first.indexDeadLetters([d]);
      await first.shutdown();

      const second = await makeStore();
      try {
        await second.start();
        await second.refresh();
        expect(ids(await second.lastN({ app_id: app }, 100))).toEqual(ids(newestFirst(events)));
        expect(await second.getView(v.view_id)).toEqual(v);
        expect(await second.getJob(j.job_id)).toEqual(j);
        expect(await second.deadLetters({ reason: d.reason }, 10)).toEqual([d]);
        expect(await second.index(events.slice(0, 10))).toEqual({ indexed: 0, duplicates: 10, rejected: [] });
        expect((await second.search("bunyn", { app_id: app }, 100)).length).toBe(50);
      } finally {
        await second.shutdown();
      }
    });

    it("refuses out-of-range limits instead of guessing", async () => {
      await expect(store.lastN({}, -1)).rejects.toMatchObject({ code: "REELTIME_ERR_SEARCH_LIMIT" });
      await expect(store.search("x", {}, 10_001)).rejects.toMatchObject({ code: "REELTIME_ERR_SEARCH_LIMIT" });
    });

    it("a backing store that is down gives a clear, retryable error, never a silent drop", async () => {
      const down = await opts.makeDownStore();
      try {
        const app = newApp();
        const e = event("playback.play", app, 1);
        const unavailable = { code: "REELTIME_ERR_SEARCH_UNAVAILABLE", retryable: true, status: 503 };
        await expect(down.index([e])).rejects.toMatchObject(unavailable);
        await expect(down.lastN({ app_id: app }, 1)).rejects.toMatchObject(unavailable);
        await expect(down.upsertViews([view("view-down", "down")])).rejects.toMatchObject(unavailable);
        expect(await down.health()).toMatchObject({ ok: false, driver: down.driver });
      } finally {
        await down.shutdown();
      }
    });
  });
}
