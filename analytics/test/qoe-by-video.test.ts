import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, createArchive, createQueryEngine, type QueryEngine } from "@reeltime/connectors";
import { recordColumns, type VideoRecord, type ViewRecord, validateRecord } from "@reeltime/events";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { createVideoRecordArchive, ParquetWriter } from "@reeltime/stream-processors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { visibleArchive } from "../src/compact/visible.ts";
import { bindParams, namedQuery } from "../src/queries/catalog.ts";
import { runQuery } from "../src/run.ts";

// The named query `qoe_by_video` on DuckDB over Parquet this test writes itself: view records
// (with an older copy of one view, a sampled view and a day outside the range) and the
// catalogue's video records through the stream processors' writer (several revisions of a
// video, a replayed copy, the same video id in another app). The expected rows are computed
// below in plain TypeScript from the records given, not by the query.

/** A final view record of the contract: the figures the query reads, the rest neutral. */
function viewRecord(f: {
  id: string;
  app?: string;
  video: string;
  day: string;
  startup?: number;
  playing: number;
  rebuffer?: number;
  stalls?: number;
  failed?: boolean;
  ebvs?: boolean;
  sample?: number;
  events?: number;
}): ViewRecord {
  const at = `${f.day}T10:00:00.000Z`;
  const rebuffer = f.rebuffer ?? 0;
  return {
    view_id: f.id,
    session_id: `sess-${f.id}`,
    ...(f.app ? { app_id: f.app } : {}),
    video_id: f.video,
    ...(f.sample ? { sample_rate: f.sample, weight: 1 / f.sample } : {}),
    status: "ended",
    end_reason: f.ebvs ? "page_hide" : f.failed ? "error" : "ended",
    started_at: at,
    ended_at: at,
    last_event_at: at,
    updated_at: at,
    events: f.events ?? 10,
    last_seq: (f.events ?? 10) - 1,
    reached_first_frame: f.startup !== undefined,
    ...(f.startup !== undefined ? { startup_ms: f.startup } : {}),
    ebvs: f.ebvs ?? false,
    startup_failure: false,
    playback_failure: f.failed ?? false,
    non_fatal_errors: 0,
    business_errors: 0,
    playing_ms: f.playing,
    watch_ms: f.playing + rebuffer,
    paused_ms: 0,
    rebuffer_count: f.stalls ?? 0,
    rebuffer_ms: rebuffer,
    rebuffer_ratio: f.playing + rebuffer > 0 ? rebuffer / (f.playing + rebuffer) : 0,
    rebuffer_frequency: 0,
    seek_count: 0,
    seek_latency_ms: 0,
    rendition_switches: 0,
    switches_up: 0,
    switches_down: 0,
    dropped_frames: 0,
    max_milestone: 0,
    requests: 0,
    request_failures: 0,
    smoothness_score: 100,
    playback_success_score: f.failed ? 0 : f.ebvs ? 50 : 100,
  };
}

function videoRecord(
  app: string,
  id: string,
  revision: number,
  updated: string,
  fields: Partial<VideoRecord> = {},
): VideoRecord {
  return {
    video_id: id,
    app_id: app,
    status: "ready",
    renditions: [],
    manifests: [],
    thumbnails: [],
    processing_at: "2026-11-19T09:00:00.000Z",
    updated_at: updated,
    revision,
    ...fields,
  };
}

const VIEWS: ViewRecord[] = [
  viewRecord({ id: "v1", app: "app-1", video: "vid-a", day: "2026-11-20", startup: 1000, playing: 60_000 }),
  // v2 twice: an older copy (fewer events, other figures) the query must drop.
  viewRecord({ id: "v2", app: "app-1", video: "vid-a", day: "2026-11-20", startup: 9000, playing: 1000, events: 4 }),
  viewRecord({
    id: "v2",
    app: "app-1",
    video: "vid-a",
    day: "2026-11-20",
    startup: 2000,
    playing: 58_000,
    rebuffer: 2000,
    stalls: 1,
  }),
  viewRecord({ id: "v3", app: "app-1", video: "vid-a", day: "2026-11-20", playing: 0, ebvs: true }),
  // A 10 % sample: stands for 10 views.
  viewRecord({
    id: "v4",
    app: "app-1",
    video: "vid-a",
    day: "2026-11-21",
    startup: 3000,
    playing: 30_000,
    rebuffer: 3000,
    stalls: 2,
    sample: 0.1,
  }),
  viewRecord({
    id: "v5",
    app: "app-1",
    video: "vid-b",
    day: "2026-11-20",
    startup: 500,
    playing: 30_000,
    failed: true,
  }),
  viewRecord({
    id: "v6",
    app: "app-1",
    video: "vid-b",
    day: "2026-11-21",
    startup: 1500,
    playing: 20_000,
    rebuffer: 1000,
    stalls: 1,
  }),
  // The same video id in another app: its own catalogue record.
  viewRecord({ id: "v7", app: "app-2", video: "vid-a", day: "2026-11-20", startup: 800, playing: 10_000 }),
  // A video the catalogue has no record of.
  viewRecord({ id: "v8", app: "app-1", video: "vid-c", day: "2026-11-21", startup: 1200, playing: 5000 }),
  // A view without an app: it joins no catalogue record.
  viewRecord({ id: "v9", video: "vid-a", day: "2026-11-20", startup: 700, playing: 7000 }),
  // Outside the days asked.
  viewRecord({ id: "v10", app: "app-1", video: "vid-a", day: "2026-11-22", startup: 100, playing: 1000 }),
];

// Archived in this order and grouping (each call is one catalogue batch).
const VIDEO_BATCHES: VideoRecord[][] = [
  [
    videoRecord("app-1", "vid-a", 1, "2026-11-19T09:00:00.000Z", { status: "processing" }),
    videoRecord("app-1", "vid-b", 2, "2026-11-19T09:30:00.000Z", { title: "Beta" }),
  ],
  [videoRecord("app-1", "vid-a", 2, "2026-11-19T09:10:00.000Z", { title: "Alpha" })],
  // A late fact (an older event that arrived last): same updated_at, one more revision.
  [videoRecord("app-1", "vid-a", 3, "2026-11-19T09:10:00.000Z", { title: "Alpha (director's cut)" })],
  // Written after the ready revision: the earlier failure of vid-b.
  [
    videoRecord("app-1", "vid-b", 1, "2026-11-19T09:20:00.000Z", {
      title: "Beta",
      status: "failed",
      failure_code: "REELTIME_ERR_PIPELINE",
    }),
  ],
  [videoRecord("app-2", "vid-a", 1, "2026-11-19T11:00:00.000Z", { title: "Another app's Alpha" })],
  // A replay regrouping revision 2 of vid-a with app-2's: copies of records already written.
  [
    videoRecord("app-1", "vid-a", 2, "2026-11-19T09:10:00.000Z", { title: "Alpha" }),
    videoRecord("app-2", "vid-a", 1, "2026-11-19T11:00:00.000Z", { title: "Another app's Alpha" }),
  ],
];

/** The query's answer computed from the records above, without SQL. */
function expected(from: string, to: string) {
  const newestView = new Map<string, ViewRecord>();
  for (const v of VIEWS) {
    const had = newestView.get(v.view_id);
    if (!had || v.events > had.events || (v.events === had.events && v.updated_at > had.updated_at))
      newestView.set(v.view_id, v);
  }
  const inRange = [...newestView.values()].filter((v) => {
    const day = v.started_at.slice(0, 10);
    return day >= from && day <= to;
  });
  const newestVideo = new Map<string, VideoRecord>();
  for (const r of VIDEO_BATCHES.flat()) {
    const k = `${r.app_id}/${r.video_id}`;
    const had = newestVideo.get(k);
    if (!had || r.updated_at > had.updated_at || (r.updated_at === had.updated_at && r.revision! > had.revision!))
      newestVideo.set(k, r);
  }
  const groups = new Map<string, ViewRecord[]>();
  for (const v of inRange) {
    const k = `${v.app_id ?? ""}/${v.video_id}/${v.media_kind ?? "video"}`;
    groups.set(k, [...(groups.get(k) ?? []), v]);
  }
  const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
  const rows = [...groups.values()].map((vs) => {
    const w = (v: ViewRecord) => v.weight ?? 1;
    const total = vs.reduce((s, v) => s + w(v), 0);
    const started = vs.filter((v) => v.startup_ms !== undefined).sort((a, b) => a.startup_ms! - b.startup_ms!);
    const n = started.reduce((s, v) => s + w(v), 0);
    // Weighted nearest rank: the first startup whose running weight reaches ceil(p × n).
    const percentile = (p: number) => {
      let acc = 0;
      for (const v of started) {
        acc += w(v);
        if (acc >= Math.ceil(p * n)) return v.startup_ms!;
      }
      return null;
    };
    const sum = (f: (v: ViewRecord) => number) => vs.reduce((s, v) => s + f(v) * w(v), 0);
    const played = sum((v) => v.playing_ms) + sum((v) => v.rebuffer_ms);
    const { app_id, video_id, media_kind } = vs[0]!;
    const catalogued = app_id === undefined ? undefined : newestVideo.get(`${app_id}/${video_id}`);
    return {
      app_id: app_id ?? null,
      video_id,
      media_kind: media_kind ?? "video",
      title: catalogued?.title ?? null,
      status: catalogued?.status ?? null,
      views: Math.round(total),
      startup_p50_ms: percentile(0.5),
      startup_p95_ms: percentile(0.95),
      rebuffers: Math.round(sum((v) => v.rebuffer_count)),
      rebuffer_ratio: played > 0 ? round(sum((v) => v.rebuffer_ms) / played, 4) : null,
      failure_pct: round((100 * sum((v) => (v.playback_failure ? 1 : 0))) / total, 2),
      ebvs_pct: round((100 * sum((v) => (v.ebvs ? 1 : 0))) / total, 2),
    };
  });
  // By app, video and media kind, views without an app last (NULLS LAST on both engines).
  const key = (r: { app_id: string | null; video_id: string; media_kind: string }) =>
    `${r.app_id ?? "\uffff"}/${r.video_id}/${r.media_kind}`;
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

let dir: string;
let archive: Archive;
let engine: QueryEngine;
beforeAll(async () => {
  for (const v of VIEWS) expect(validateRecord("views", v), v.view_id).toEqual([]);
  for (const r of VIDEO_BATCHES.flat()) expect(validateRecord("videos", r), r.video_id).toEqual([]);
  dir = await mkdtemp(join(tmpdir(), "reeltime-qoe-by-video-"));
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir, REELTIME_ARCHIVE: "fs", REELTIME_QUERY: "duckdb" });
  archive = await createArchive(env);
  await archive.start();
  const writer = new ParquetWriter();
  try {
    // One view file per day, the older copy of v2 in a file of its own.
    const byDay = new Map<string, ViewRecord[]>();
    VIEWS.forEach((v, i) => {
      const file = `records/views/dt=${v.started_at.slice(0, 10)}/views-${v.events < 10 ? `old-${i}` : "final"}.parquet`;
      byDay.set(file, [...(byDay.get(file) ?? []), v]);
    });
    for (const [key, rows] of byDay) await archive.put(key, await writer.write(recordColumns("views"), rows));
    const videos = createVideoRecordArchive({ archive, writer });
    for (const batch of VIDEO_BATCHES) await videos.archiveVideos(batch);
  } finally {
    await writer.close();
  }
  engine = await createQueryEngine(visibleArchive(archive), env);
  await engine.start();
}, 60_000);
afterAll(async () => {
  await engine?.shutdown();
  await archive?.shutdown();
  await rm(dir, { recursive: true, force: true });
});

async function qoeByVideo(from: string, to: string) {
  const q = await namedQuery("qoe_by_video");
  return (await runQuery(engine, { sql: q.sql, params: bindParams(q, { from_dt: from, to_dt: to }) })).rows;
}

describe("qoe_by_video: views joined to the catalogue's videos on DuckDB", () => {
  it("per video: the newest catalogue title and status, views, startup p50/p95, rebuffers, rebuffer ratio, failure and EBVS %", async () => {
    const rows = await qoeByVideo("2026-11-20", "2026-11-21");
    expect(rows).toEqual(expected("2026-11-20", "2026-11-21"));
    // Hand-checked, app-1/vid-a: v1, v2 (its newest copy), v3 (EBVS) and v4 (weight 10) = 13 views.
    // Startups 1000 (w 1), 2000 (w 1), 3000 (w 10): n = 12, p50 rank 6 and p95 rank ceil(11.4) = 12 → 3000.
    // Rebuffers 1 + 2·10 = 21; ratio (2000 + 3000·10) / (60000 + 58000 + 30000·10 + 32000) = 0.0711;
    // EBVS 1 / 13 = 7.69 %. Title from revision 3 (same updated_at as revision 2, one more revision).
    expect(rows[0]).toEqual({
      app_id: "app-1",
      video_id: "vid-a",
      media_kind: "video",
      title: "Alpha (director's cut)",
      status: "ready",
      views: 13,
      startup_p50_ms: 3000,
      startup_p95_ms: 3000,
      rebuffers: 21,
      rebuffer_ratio: 0.0711,
      failure_pct: 0,
      ebvs_pct: 7.69,
    });
    // vid-b is ready (its failure is the older revision, archived later); vid-c is not catalogued;
    // the other app's vid-a has its own title; the view without an app joins nothing.
    expect(rows.map((r) => [r.app_id, r.video_id, r.title, r.status, r.views])).toEqual([
      ["app-1", "vid-a", "Alpha (director's cut)", "ready", 13],
      ["app-1", "vid-b", "Beta", "ready", 2],
      ["app-1", "vid-c", null, null, 1],
      ["app-2", "vid-a", "Another app's Alpha", "ready", 1],
      [null, "vid-a", null, null, 1],
    ]);
  });

  it("honours the days asked (only the views are filtered; the catalogue is read whole)", async () => {
    const rows = await qoeByVideo("2026-11-21", "2026-11-21");
    expect(rows).toEqual(expected("2026-11-21", "2026-11-21"));
    expect(rows.map((r) => [r.video_id, r.title, r.views])).toEqual([
      ["vid-a", "Alpha (director's cut)", 10],
      ["vid-b", "Beta", 1],
      ["vid-c", null, 1],
    ]);
  });
});
