import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, createArchive, createQueryEngine, type QueryEngine } from "@reeltime/connectors";
import { recordColumns, type ViewRecord, validateRecord } from "@reeltime/events";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { createVideoRecordArchive, ParquetWriter } from "@reeltime/stream-processors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { visibleArchive } from "../src/compact/visible.ts";
import { bindParams, namedQuery } from "../src/queries/catalog.ts";
import { runQuery } from "../src/run.ts";

// The QoE named queries split by media kind (issue 18 [17]): `qoe` and `qoe_by_video` on DuckDB
// over view records this test writes as Parquet. A video listened to as audio is a row of its
// own; records written before media_kind was kept (none) count as video; and the video rows
// keep the figures they have without any audio view (the same video views alone on another day
// give the same row). Expected figures are worked by hand in the comments.

function viewRecord(f: {
  id: string;
  video: string;
  day: string;
  kind?: "video" | "audio";
  startup?: number;
  playing: number;
  rebuffer?: number;
  stalls?: number;
  failed?: boolean;
  ebvs?: boolean;
}): ViewRecord {
  const at = `${f.day}T10:00:00.000Z`;
  const rebuffer = f.rebuffer ?? 0;
  return {
    view_id: f.id,
    session_id: `sess-${f.id}`,
    app_id: "app-1",
    video_id: f.video,
    ...(f.kind ? { media_kind: f.kind } : {}),
    status: "ended",
    end_reason: f.ebvs ? "page_hide" : f.failed ? "error" : "ended",
    started_at: at,
    ended_at: at,
    last_event_at: at,
    updated_at: at,
    events: 10,
    last_seq: 9,
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

/** vid-a watched three times (one record from before media_kind), the same video views alone the next day. */
const watched = (day: string, prefix: string) => [
  viewRecord({ id: `${prefix}1`, video: "vid-a", day, kind: "video", startup: 1000, playing: 60_000 }),
  viewRecord({
    id: `${prefix}2`,
    video: "vid-a",
    day,
    kind: "video",
    startup: 2000,
    playing: 58_000,
    rebuffer: 2000,
    stalls: 1,
  }),
  viewRecord({ id: `${prefix}3`, video: "vid-a", day, startup: 3000, playing: 40_000 }),
];

const VIEWS: ViewRecord[] = [
  ...watched("2026-11-20", "a"),
  // vid-a listened to: two plays (one stall), one exit before start.
  viewRecord({ id: "b1", video: "vid-a", day: "2026-11-20", kind: "audio", startup: 400, playing: 120_000 }),
  viewRecord({
    id: "b2",
    video: "vid-a",
    day: "2026-11-20",
    kind: "audio",
    startup: 600,
    playing: 100_000,
    rebuffer: 1500,
    stalls: 1,
  }),
  viewRecord({ id: "b3", video: "vid-a", day: "2026-11-20", kind: "audio", playing: 0, ebvs: true }),
  // vid-b, audio only: one play that failed.
  viewRecord({
    id: "c1",
    video: "vid-b",
    day: "2026-11-20",
    kind: "audio",
    startup: 500,
    playing: 30_000,
    failed: true,
  }),
  ...watched("2026-11-21", "d"),
];

let dir: string;
let archive: Archive;
let engine: QueryEngine;
beforeAll(async () => {
  for (const v of VIEWS) expect(validateRecord("views", v), v.view_id).toEqual([]);
  dir = await mkdtemp(join(tmpdir(), "reeltime-media-kind-"));
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir, REELTIME_ARCHIVE: "fs", REELTIME_QUERY: "duckdb" });
  archive = await createArchive(env);
  await archive.start();
  const writer = new ParquetWriter();
  try {
    // The record from before media_kind in a file of its own, written without the column.
    const legacy = VIEWS.filter((v) => v.media_kind === undefined);
    const columns = recordColumns("views");
    for (const day of ["2026-11-20", "2026-11-21"]) {
      const of = (vs: ViewRecord[]) => vs.filter((v) => v.started_at.startsWith(day));
      await archive.put(
        `records/views/dt=${day}/views-new.parquet`,
        await writer.write(
          columns,
          of(VIEWS).filter((v) => v.media_kind),
        ),
      );
      await archive.put(
        `records/views/dt=${day}/views-old.parquet`,
        await writer.write(
          columns.filter((c) => c.name !== "media_kind"),
          of(legacy),
        ),
      );
    }
    await createVideoRecordArchive({ archive, writer }).archiveVideos([
      {
        video_id: "vid-a",
        app_id: "app-1",
        title: "Alpha",
        status: "ready",
        renditions: [],
        manifests: [],
        thumbnails: [],
        updated_at: "2026-11-19T09:00:00.000Z",
        revision: 1,
      },
    ]);
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

async function named(name: string, from: string, to: string) {
  const q = await namedQuery(name);
  return (await runQuery(engine, { sql: q.sql, params: bindParams(q, { from_dt: from, to_dt: to }) })).rows;
}

describe("media_kind in the QoE named queries on DuckDB", () => {
  it("qoe: audio and video views of one video are rows of their own; a record without a kind is video", async () => {
    const rows = await named("qoe", "2026-11-20", "2026-11-21");
    const base = { rendition: "unknown", browser: "unknown" };
    expect(rows).toEqual([
      // b1, b2, b3: startups 400, 600 → p50 rank 1 → 400, p95 rank ceil(1.9) = 2 → 600;
      // ratio 1500 / (120000 + 100000 + 0 + 1500) = 0.00677 → 0.0068; EBVS 1 / 3.
      {
        dt: "2026-11-20",
        video_id: "vid-a",
        media_kind: "audio",
        ...base,
        views: 3,
        startup_p50_ms: 400,
        startup_p95_ms: 600,
        rebuffer_ratio: 0.0068,
        failure_pct: 0,
        ebvs_pct: 33.33,
      },
      // a1, a2 and a3 (no kind): startups 1000, 2000, 3000 → p50 rank 2 → 2000, p95 rank 3 → 3000;
      // ratio 2000 / (60000 + 58000 + 40000 + 2000) = 0.0125.
      {
        dt: "2026-11-20",
        video_id: "vid-a",
        media_kind: "video",
        ...base,
        views: 3,
        startup_p50_ms: 2000,
        startup_p95_ms: 3000,
        rebuffer_ratio: 0.0125,
        failure_pct: 0,
        ebvs_pct: 0,
      },
      {
        dt: "2026-11-20",
        video_id: "vid-b",
        media_kind: "audio",
        ...base,
        views: 1,
        startup_p50_ms: 500,
        startup_p95_ms: 500,
        rebuffer_ratio: 0,
        failure_pct: 100,
        ebvs_pct: 0,
      },
      // The same video views alone: the same figures as beside the audio views.
      {
        dt: "2026-11-21",
        video_id: "vid-a",
        media_kind: "video",
        ...base,
        views: 3,
        startup_p50_ms: 2000,
        startup_p95_ms: 3000,
        rebuffer_ratio: 0.0125,
        failure_pct: 0,
        ebvs_pct: 0,
      },
    ]);
  });

  it("qoe_by_video: per video and media kind, each with the catalogue's title and status", async () => {
    const rows = await named("qoe_by_video", "2026-11-20", "2026-11-20");
    expect(rows).toEqual([
      {
        app_id: "app-1",
        video_id: "vid-a",
        media_kind: "audio",
        title: "Alpha",
        status: "ready",
        views: 3,
        startup_p50_ms: 400,
        startup_p95_ms: 600,
        rebuffers: 1,
        rebuffer_ratio: 0.0068,
        failure_pct: 0,
        ebvs_pct: 33.33,
      },
      {
        app_id: "app-1",
        video_id: "vid-a",
        media_kind: "video",
        title: "Alpha",
        status: "ready",
        views: 3,
        startup_p50_ms: 2000,
        startup_p95_ms: 3000,
        rebuffers: 1,
        rebuffer_ratio: 0.0125,
        failure_pct: 0,
        ebvs_pct: 0,
      },
      {
        app_id: "app-1",
        video_id: "vid-b",
        media_kind: "audio",
        title: null,
        status: null,
        views: 1,
        startup_p50_ms: 500,
        startup_p95_ms: 500,
        rebuffers: 0,
        rebuffer_ratio: 0,
        failure_pct: 100,
        ebvs_pct: 0,
      },
    ]);
    // Both days: the video row holds the six video views, the audio rows are as they were.
    const both = await named("qoe_by_video", "2026-11-20", "2026-11-21");
    expect(both.map((r) => [r.video_id, r.media_kind, r.views])).toEqual([
      ["vid-a", "audio", 3],
      ["vid-a", "video", 6],
      ["vid-b", "audio", 1],
    ]);
  });

  it("top_videos ranks content whatever it played on: vid-a's listening and watching together", async () => {
    const q = await namedQuery("top_videos");
    const rows = (
      await runQuery(engine, {
        sql: q.sql,
        params: bindParams(q, { from_dt: "2026-11-20", to_dt: "2026-11-20", top_n: "5" }),
      })
    ).rows;
    // vid-a: 60000 + 58000 + 40000 (watched) + 120000 + 100000 + 0 (listened) = 378000 ms, 6 views.
    expect(rows.map((r) => [r.video_id, r.views, r.playing_ms])).toEqual([
      ["vid-a", 6, 378_000],
      ["vid-b", 1, 30_000],
    ]);
  });
});
