import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CatalogueEvent,
  mergeStates,
  publicRecord,
  recordOf,
  reduceEvents,
  stateOf,
  statusOf,
} from "../src/state.ts";
import { makeEvent, specs } from "./events.ts";
import { referenceRecord } from "./reference.ts";

/** The events, shuffled, with some delivered again (any permutation, any number of times). */
const deliveries = (events: CatalogueEvent[]) =>
  fc
    .tuple(
      fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
      fc.array(fc.constantFrom(...events), { maxLength: events.length }),
    )
    .chain(([all, again]) =>
      fc.shuffledSubarray([...all, ...again], {
        minLength: all.length + again.length,
        maxLength: all.length + again.length,
      }),
    );

const rows = (events: Iterable<CatalogueEvent>) => new Map([...reduceEvents(events)].map(([k, s]) => [k, recordOf(s)]));

describe("the catalogue reducer", () => {
  it("gives each video the row of the reference, whatever the order and repeats of its events", () => {
    fc.assert(
      fc.property(
        specs().chain((s) => {
          const events = s.map(makeEvent);
          return fc.tuple(fc.constant(events), deliveries(events));
        }),
        ([events, delivered]) => {
          const got = rows(delivered);
          for (const video of new Set(events.map((e) => e.video!.id)))
            expect(got.get(`app-a/${video}`)).toEqual(referenceRecord(events, "app-a", video));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("merges the states of any split into batches to the same state (a join: order, grouping and repeats do not matter)", () => {
    fc.assert(
      fc.property(
        specs(["v1"]).chain((s) => {
          const events = s.map(makeEvent);
          return fc.tuple(fc.constant(events), deliveries(events), fc.array(fc.nat(), { maxLength: 6 }));
        }),
        ([events, delivered, cuts]) => {
          const whole = reduceEvents(events).get("app-a/v1");
          // Cut the delivery into batches, fold each, then merge the batch states in reverse.
          const points = [...new Set(cuts.map((c) => c % (delivered.length + 1)))].sort((a, b) => a - b);
          const batches: CatalogueEvent[][] = [];
          let from = 0;
          for (const p of [...points, delivered.length]) {
            batches.push(delivered.slice(from, p));
            from = p;
          }
          const states = batches.flatMap((b) => [...reduceEvents(b).values()]).reverse();
          const merged = states.reduce((a, b) => mergeStates(a, b));
          expect(recordOf(merged)).toEqual(recordOf(whole!));
          expect(mergeStates(merged, merged)).toEqual(mergeStates(whole!, whole!));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("moves status forward only: ready is final, failed is left only for newer job work (a retry)", () => {
    const rank = { uploaded: 0, processing: 1, failed: 2, ready: 3 } as const;
    fc.assert(
      fc.property(specs(["v1"], 20), (s) => {
        const events = s
          .map(makeEvent)
          .sort((a, b) =>
            a.client_ts === b.client_ts ? (a.event_id < b.event_id ? -1 : 1) : a.client_ts < b.client_ts ? -1 : 1,
          );
        let state: ReturnType<typeof stateOf>;
        let before: keyof typeof rank | undefined;
        for (const e of events) {
          const one = stateOf(e)!;
          state = state === undefined ? one : mergeStates(state, one);
          const now = statusOf(state);
          if (before !== undefined && rank[now] < rank[before]) {
            // The one way back: a failed video whose newer job work is a retry.
            expect([before, now]).toEqual(["failed", "processing"]);
            expect(e.event_type.startsWith("job.")).toBe(true);
            expect(["job.completed", "job.failed"]).not.toContain(e.event_type);
          }
          if (before === "ready") expect(now).toBe("ready");
          before = now;
        }
      }),
      { numRuns: 300 },
    );
  });

  it("stamps each state with the client_ts of the event that reached it", () => {
    const events = [
      makeEvent({ type: "upload.completed", n: 1, minute: 0, video: "v1", title: "Sintel", email: "a@example.com" }),
      makeEvent({ type: "job.created", n: 2, minute: 1, video: "v1" }),
      makeEvent({ type: "job.step_completed", n: 3, minute: 2, video: "v1", step: "rendition", rendition: "720p" }),
      makeEvent({ type: "job.step_completed", n: 4, minute: 3, video: "v1", step: "thumbnails" }),
      makeEvent({ type: "job.completed", n: 5, minute: 4, video: "v1" }),
    ];
    const r = recordOf(reduceEvents(events).get("app-a/v1")!);
    expect(r).toMatchObject({
      status: "ready",
      title: "Sintel",
      owner_email: "a@example.com",
      uploaded_at: "2026-12-01T10:00:00.000Z",
      processing_at: "2026-12-01T10:01:00.000Z",
      ready_at: "2026-12-01T10:04:00.000Z",
      upload_to_ready_ms: 240_000,
      job_id: "job-1",
      manifests: ["media/v1/master.m3u8"],
      thumbnails: ["media/v1/thumbnails/"],
    });
    expect(r.renditions).toEqual([{ id: "720p", playlist: "media/v1/720p/index.m3u8", bitrate_bps: 2_000_003 }]);
    expect(publicRecord(r)).not.toHaveProperty("owner_email");
  });

  it("lists the manifests a job names (HLS master and DASH MPD of a CMAF package); an event without the list means the master alone", () => {
    const older = [makeEvent({ type: "job.completed", n: 1, minute: 1, video: "v1" })];
    expect(recordOf(reduceEvents(older).get("app-a/v1")!).manifests).toEqual(["media/v1/master.m3u8"]);
    const cmaf = [
      makeEvent({
        type: "job.step_completed",
        n: 2,
        minute: 2,
        video: "v2",
        step: "manifest",
        manifests: ["master.m3u8", "manifest.mpd"],
      }),
      makeEvent({ type: "job.completed", n: 3, minute: 3, video: "v2", manifests: ["master.m3u8", "manifest.mpd"] }),
    ];
    expect(recordOf(reduceEvents(cmaf).get("app-a/v2")!).manifests).toEqual([
      "media/v2/manifest.mpd",
      "media/v2/master.m3u8",
    ]);
    // A key outside the video's own media folder is not the video's manifest.
    const stray = makeEvent({ type: "job.completed", n: 4, minute: 4, video: "v3", manifests: ["master.m3u8"] });
    (stray as { job: { manifests: string[] } }).job.manifests.push(
      "media/other/manifest.mpd",
      "media/v3/../x/manifest.mpd",
    );
    expect(recordOf(reduceEvents([stray]).get("app-a/v3")!).manifests).toEqual(["media/v3/master.m3u8"]);
  });

  it("keeps each rendition's output size from its step event; a newer report of the rendition wins", () => {
    const rendition = (n: number, minute: number, name: string, bytes?: number) =>
      makeEvent({
        type: "job.step_completed",
        n,
        minute,
        video: "v1",
        step: "rendition",
        rendition: name,
        ...(bytes === undefined ? {} : { bytes }),
      });
    const events = [
      rendition(1, 1, "720p", 3_000_000),
      rendition(2, 1, "360p", 900_000),
      // The 720p rendition made again later (a second job): its size is the newer one.
      rendition(3, 2, "720p", 3_100_000),
      // An event from before sizes were reported: no bytes on that rendition.
      rendition(4, 1, "1080p"),
    ];
    for (const order of [events, [...events].reverse()]) {
      const r = recordOf(reduceEvents(order).get("app-a/v1")!);
      // No heights in these events: ordered by id.
      expect(r.renditions.map((x) => [x.id, x.bytes])).toEqual([
        ["1080p", undefined],
        ["360p", 900_000],
        ["720p", 3_100_000],
      ]);
      expect(r.renditions[0]).not.toHaveProperty("bytes");
    }
  });

  it("keeps a failure's reason, and a newer retry of the job clears it", () => {
    const failed = [
      makeEvent({ type: "upload.completed", n: 1, minute: 0, video: "v1" }),
      makeEvent({ type: "job.created", n: 2, minute: 1, video: "v1", job: "job-1" }),
      makeEvent({ type: "job.failed", n: 3, minute: 2, video: "v1", job: "job-1", errorCode: "REELTIME_ERR_FFMPEG" }),
    ];
    expect(recordOf(reduceEvents(failed).get("app-a/v1")!)).toMatchObject({
      status: "failed",
      failure_code: "REELTIME_ERR_FFMPEG",
      failure_message: "failed 3",
      failed_at: "2026-12-01T10:02:00.000Z",
    });
    // A job event that is not newer than the failure does not revive the video.
    const stale = [...failed, makeEvent({ type: "job.step_progress", n: 4, minute: 1, video: "v1", job: "job-2" })];
    expect(statusOf(reduceEvents(stale).get("app-a/v1")!)).toBe("failed");
    const retry = [...failed, makeEvent({ type: "job.created", n: 5, minute: 3, video: "v1", job: "job-2" })];
    const r = recordOf(reduceEvents(retry).get("app-a/v1")!);
    expect(r.status).toBe("processing");
    expect(r).not.toHaveProperty("failure_code");
    const done = [...retry, makeEvent({ type: "job.completed", n: 6, minute: 4, video: "v1", job: "job-2" })];
    expect(recordOf(reduceEvents(done).get("app-a/v1")!)).toMatchObject({ status: "ready", job_id: "job-2" });
  });

  it("keeps nothing for an event without an app or a video", () => {
    const { app_id: _app, ...noApp } = makeEvent({ type: "job.created", n: 1, minute: 0, video: "v1" });
    const noVideo = { ...makeEvent({ type: "job.created", n: 2, minute: 0, video: "v1" }), video: undefined };
    expect(stateOf(noApp as CatalogueEvent)).toBeUndefined();
    expect(stateOf(noVideo as unknown as CatalogueEvent)).toBeUndefined();
  });
});
