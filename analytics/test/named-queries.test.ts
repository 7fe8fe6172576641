import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindParams, loadNamedQueries, type NamedQuery } from "../src/queries/catalog.ts";
import { runQuery } from "../src/run.ts";
import { knownApiCalls, knownJobs, knownViews } from "./fixtures.ts";
import { archiveWithProcessors, type Harness } from "./harness.ts";

let h: Harness;
let queries: Map<string, NamedQuery>;

// 29 playback events (4+7+4+2+5+3+4), 14 job events (13 + one duplicate the archiver drops), 4 API calls;
// 7 final views (V7 by the timeout), 2 final jobs.
beforeAll(async () => {
  queries = await loadNamedQueries();
  h = await archiveWithProcessors([...knownViews(), ...knownJobs(), ...knownApiCalls()], {
    "events/event_type=playback/": 29,
    "events/event_type=job/": 13,
    "events/event_type=api/": 4,
    "records/views/": 7,
    "records/jobs/": 2,
  });
}, 120_000);
afterAll(async () => h?.close());

async function named(name: string, params: Record<string, string>) {
  const q = queries.get(name)!;
  const res = await runQuery(h.engine, { sql: q.sql, params: bindParams(q, params) });
  return res.rows;
}

describe("named queries on DuckDB over Parquet written by the real archivers", () => {
  it("qoe: startup p50/p95, rebuffer ratio, failure %, EBVS % by day, video, rendition, browser", async () => {
    const rows = await named("qoe", { from_dt: "2026-11-20", to_dt: "2026-11-21" });
    expect(rows).toEqual([
      // V1 + V2: startups 1000, 2000 → p50 = rank ceil(0.5·2)=1 → 1000; p95 = rank ceil(1.9)=2 → 2000.
      // Rebuffer ratio = 2000 / (60000 + 58000 + 2000) = 0.016666… → 0.0167.
      {
        dt: "2026-11-20",
        video_id: "vid-a",
        media_kind: "video",
        rendition: "720p",
        browser: "Chrome",
        views: 2,
        startup_p50_ms: 1000,
        startup_p95_ms: 2000,
        rebuffer_ratio: 0.0167,
        failure_pct: 0,
        ebvs_pct: 0,
      },
      // V3 alone: 4000 ms both; no stall.
      {
        dt: "2026-11-20",
        video_id: "vid-a",
        media_kind: "video",
        rendition: "720p",
        browser: "Firefox",
        views: 1,
        startup_p50_ms: 4000,
        startup_p95_ms: 4000,
        rebuffer_ratio: 0,
        failure_pct: 0,
        ebvs_pct: 0,
      },
      // V4: no first frame, no rendition, left after 5 s: EBVS; 0 played → ratio undefined (NULL).
      {
        dt: "2026-11-20",
        video_id: "vid-a",
        media_kind: "video",
        rendition: "unknown",
        browser: "Chrome",
        views: 1,
        startup_p50_ms: null,
        startup_p95_ms: null,
        rebuffer_ratio: null,
        failure_pct: 0,
        ebvs_pct: 100,
      },
      // V5: fatal error after the first frame → failure 100 %.
      {
        dt: "2026-11-20",
        video_id: "vid-b",
        media_kind: "video",
        rendition: "1080p",
        browser: "Chrome",
        views: 1,
        startup_p50_ms: 500,
        startup_p95_ms: 500,
        rebuffer_ratio: 0,
        failure_pct: 100,
        ebvs_pct: 0,
      },
      // V7, finalised by the timeout.
      {
        dt: "2026-11-20",
        video_id: "vid-b",
        media_kind: "video",
        rendition: "720p",
        browser: "Chrome",
        views: 1,
        startup_p50_ms: 1000,
        startup_p95_ms: 1000,
        rebuffer_ratio: 0,
        failure_pct: 0,
        ebvs_pct: 0,
      },
      // V6, the next day.
      {
        dt: "2026-11-21",
        video_id: "vid-b",
        media_kind: "video",
        rendition: "1080p",
        browser: "Chrome",
        views: 1,
        startup_p50_ms: 3000,
        startup_p95_ms: 3000,
        rebuffer_ratio: 0,
        failure_pct: 0,
        ebvs_pct: 0,
      },
    ]);
  });

  it("qoe: the dt range is honoured", async () => {
    const rows = await named("qoe", { from_dt: "2026-11-21", to_dt: "2026-11-21" });
    expect(rows.map((r) => [r.dt, r.video_id, r.views])).toEqual([["2026-11-21", "vid-b", 1]]);
  });

  it("top_videos: by playing time", async () => {
    // vid-a: 60000 + 58000 + 30000 + 0 = 148000 ms over 4 views; vid-b: 30000 (V5) + 30000 (V7)
    // + 30000 (V6) = 90000 ms over 3 views. Hours: 148000 / 3600000 = 0.0411; 90000 → 0.025.
    const rows = await named("top_videos", { from_dt: "2026-11-20", to_dt: "2026-11-21", top_n: "10" });
    expect(rows).toEqual([
      { place: 1, video_id: "vid-a", video_title: "Alpha", views: 4, playing_ms: 148_000, playing_hours: 0.041 },
      { place: 2, video_id: "vid-b", video_title: "Beta", views: 3, playing_ms: 90_000, playing_hours: 0.025 },
    ]);
    const top1 = await named("top_videos", { from_dt: "2026-11-20", to_dt: "2026-11-21", top_n: "1" });
    expect(top1.map((r) => r.video_id)).toEqual(["vid-a"]);
  });

  it("concurrent_viewers: peak per minute and viewers at the minute's end", async () => {
    // Intervals: V1 10:00:00–10:01:01, V2 10:00:10–10:01:12, V3 10:02:00–10:02:34,
    // V4 10:02:10–10:02:15, V5 10:05:00–10:05:30.5, V7 10:06:00–10:06:31.
    // 10:00 → 1, 2 (peak 2, end 2); 10:01 → starts at 2, then 1, 0 (peak 2, end 0);
    // 10:02 → 1, 2, 1, 0 (peak 2, end 0); 10:05 → 1, 0; 10:06 → 1, 0. No change in 10:03/10:04.
    const rows = await named("concurrent_viewers", { from_dt: "2026-11-20", to_dt: "2026-11-20" });
    expect(rows.map((r) => [(r.minute as Date).toISOString().slice(11, 16), r.peak_viewers, r.viewers_at_end])).toEqual(
      [
        ["10:00", 2, 2],
        ["10:01", 2, 0],
        ["10:02", 2, 0],
        ["10:05", 1, 0],
        ["10:06", 1, 0],
      ],
    );
  });

  it("rendition_time: playing time credited to the rendition on screen at each report", async () => {
    // Increases of the running total per report: V1 720p 30000 + 30000; V2 480p 30000 then
    // 720p 28000; V3 720p 30000; V4 unknown 0; V5 1080p 20000 + 10000; V7 720p 30000.
    // 720p = 60000 + 28000 + 30000 + 30000 = 148000 (V1, V2, V3, V7); 480p = 30000 (V2);
    // 1080p = 30000 (V5); total 208000 = the sessionizer's playing time of the day.
    // Shares: 148000/208000 = 71.15 %, 30000/208000 = 14.42 %.
    const rows = await named("rendition_time", { from_dt: "2026-11-20", to_dt: "2026-11-20" });
    expect(rows).toEqual([
      { rendition_id: "720p", height: 720, bitrate_bps: 2_800_000, views: 4, playing_ms: 148_000, share_pct: 71.15 },
      { rendition_id: "1080p", height: 1080, bitrate_bps: 5_000_000, views: 1, playing_ms: 30_000, share_pct: 14.42 },
      { rendition_id: "480p", height: 480, bitrate_bps: 1_400_000, views: 1, playing_ms: 30_000, share_pct: 14.42 },
      { rendition_id: "unknown", height: null, bitrate_bps: null, views: 1, playing_ms: 0, share_pct: 0 },
    ]);
  });

  it("job_steps: failure % and encode speed by step (the duplicated event counts once)", async () => {
    // probe: J1 ok, J2 failed → 50 %. rendition: 3 ok + 1 failed → 25 %; mean speed
    // (3 + 5 + 1.5) / 3 = 3.1667; encode speed 180000 / (20000 + 12000 + 40000) = 2.5.
    // (job): J1 completed, J2 failed → 50 %.
    const rows = await named("job_steps", { from_dt: "2026-11-20", to_dt: "2026-11-20" });
    expect(rows).toEqual([
      { step: "(job)", completed: 1, failed: 1, failure_pct: 50, mean_speed: null, encode_speed: null },
      { step: "manifest", completed: 1, failed: 0, failure_pct: 0, mean_speed: null, encode_speed: null },
      { step: "metadata", completed: 1, failed: 0, failure_pct: 0, mean_speed: null, encode_speed: null },
      { step: "probe", completed: 1, failed: 1, failure_pct: 50, mean_speed: null, encode_speed: null },
      { step: "rendition", completed: 3, failed: 1, failure_pct: 25, mean_speed: 3.1667, encode_speed: 2.5 },
      { step: "thumbnails", completed: 1, failed: 0, failure_pct: 0, mean_speed: null, encode_speed: null },
    ]);
  });

  it("last_api_calls: newest N per app", async () => {
    const rows = await named("last_api_calls", { from_dt: "2026-11-20", to_dt: "2026-11-20", n: "2" });
    expect(rows.map((r) => [r.app_id, r.recent, (r.called_at as Date).toISOString(), r.status, r.error_code])).toEqual([
      ["app-1", 1, "2026-11-20T10:20:00.000Z", 200, null],
      ["app-1", 2, "2026-11-20T10:10:00.000Z", 400, "HTTP_400"],
      ["app-2", 1, "2026-11-20T10:30:00.000Z", 413, "HTTP_413"],
    ]);
  });

  it("the archived views are the sessionizer's records (7 views, V7 ended by the timeout)", async () => {
    const res = await h.engine.run(
      "SELECT view_id, end_reason, playing_ms, rebuffer_ms, ebvs FROM views WHERE dt >= ? ORDER BY view_id",
      ["2026-11-20"],
    );
    expect(res.rows.map((r) => [r.view_id, r.end_reason, r.playing_ms, r.rebuffer_ms, r.ebvs])).toEqual([
      ["v1", "ended", 60_000, 0, false],
      ["v2", "ended", 58_000, 2000, false],
      ["v3", "ended", 30_000, 0, false],
      ["v4", "page_hide", 0, 0, true],
      ["v5", "error", 30_000, 0, false],
      ["v6", "ended", 30_000, 0, false],
      ["v7", "timeout", 30_000, 0, false],
    ]);
  });
});
