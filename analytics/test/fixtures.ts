import type { Bus } from "@reeltime/connectors";
import { type EventType, exampleEvent, type ReeltimeEvent, routeOf } from "@reeltime/events";
import { v7 as uuidv7 } from "uuid";

const encoder = new TextEncoder();

export const R1080 = { id: "1080p", bitrate_bps: 5_000_000, width: 1920, height: 1080 };
export const R720 = { id: "720p", bitrate_bps: 2_800_000, width: 1280, height: 720 };
export const R480 = { id: "480p", bitrate_bps: 1_400_000, width: 854, height: 480 };
type Rendition = typeof R720;

const VIDEOS = {
  "vid-a": { id: "vid-a", title: "Alpha", duration_ms: 600_000, stream_type: "vod" as const },
  "vid-b": { id: "vid-b", title: "Beta", duration_ms: 300_000, stream_type: "vod" as const },
};

interface Step {
  at: string;
  type: EventType;
  rendition?: Rendition;
  fields?: Record<string, unknown>;
}

/** One view's events: example events of each type with this view's ids, time, browser and rendition. */
export function view(id: string, video: keyof typeof VIDEOS, browser: string, steps: Step[]): ReeltimeEvent[] {
  return steps.map((s, seq) => {
    const e = exampleEvent(s.type, { now: new Date(s.at), seq }) as Record<string, unknown>;
    delete e.rendition;
    delete e.display;
    const t = Date.parse(s.at);
    return {
      ...e,
      ...s.fields,
      ...(s.rendition ? { rendition: s.rendition } : {}),
      view_id: id,
      session_id: `sess-${id}`,
      app_id: "app-1",
      video: VIDEOS[video],
      user_agent: { name: browser, os_name: "Linux", device_type: "desktop" },
      received_at: new Date(t + 40).toISOString(),
    } as unknown as ReeltimeEvent;
  });
}

const stats = (playing_ms: number, rebuffer_ms = 0, rebuffer_count = 0) => ({
  stats: { playing_ms, rebuffer_ms, rebuffer_count },
});

/**
 * Seven views with hand-checkable figures (times UTC). Day 2026-11-20 unless noted:
 * - V1 vid-a Chrome 720p: start 10:00:00, first frame 10:00:01 (1000 ms), heartbeat 10:00:31
 *   (30 s played), ended 10:01:01 (60 s played).
 * - V2 vid-a Chrome: start 10:00:10, first frame 10:00:12 (2000 ms) on 480p, heartbeat 10:00:42
 *   (30 s, 480p), switch up to 720p 10:00:42, stall 10:00:52–10:00:54 (2 s), ended 10:01:12
 *   (58 s played = 40 s + 18 s, 2 s rebuffering).
 * - V3 vid-a Firefox 720p: start 10:02:00, first frame 10:02:04 (4000 ms) with the initial
 *   rendition 720p, ended 10:02:34 (30 s).
 * - V4 vid-a Chrome: start 10:02:10, left 10:02:15 without a first frame: EBVS (5 s ≥ 1 s).
 * - V5 vid-b Chrome 1080p: start 10:05:00, first frame 10:05:00.5 (500 ms), heartbeat 10:05:20.5
 *   (20 s), fatal error 10:05:30.5 (30 s played: playback failure), view_end 10:05:31 (30 s).
 * - V7 vid-b Chrome 720p: start 10:06:00, first frame 10:06:01 (1000 ms), heartbeat 10:06:31
 *   (30 s), then silence: finalised by the timeout, ended at its last event 10:06:31.
 * - V6 vid-b Chrome 1080p on 2026-11-21: start 09:00:00, first frame 09:00:03 (3000 ms) with
 *   the initial rendition 1080p, ended 09:00:33 (30 s).
 * The sessionizer learns the rendition on screen from rendition_switch and heartbeats only.
 */
export function knownViews(): ReeltimeEvent[] {
  const d = "2026-11-20T10:";
  return [
    ...view("v1", "vid-a", "Chrome", [
      { at: `${d}00:00.000Z`, type: "playback.view_start" },
      { at: `${d}00:01.000Z`, type: "playback.startup_complete", rendition: R720, fields: { startup_ms: 1000 } },
      {
        at: `${d}00:31.000Z`,
        type: "playback.heartbeat",
        rendition: R720,
        fields: { state: "playing", ...stats(30_000) },
      },
      {
        at: `${d}01:01.000Z`,
        type: "playback.view_end",
        rendition: R720,
        fields: { reason: "ended", ...stats(60_000) },
      },
    ]),
    ...view("v2", "vid-a", "Chrome", [
      { at: `${d}00:10.000Z`, type: "playback.view_start" },
      { at: `${d}00:12.000Z`, type: "playback.startup_complete", rendition: R480, fields: { startup_ms: 2000 } },
      {
        at: `${d}00:42.000Z`,
        type: "playback.heartbeat",
        rendition: R480,
        fields: { state: "playing", ...stats(30_000) },
      },
      {
        at: `${d}00:42.000Z`,
        type: "playback.rendition_switch",
        rendition: R720,
        fields: { from_rendition: R480, direction: "up" },
      },
      { at: `${d}00:52.000Z`, type: "playback.rebuffer_start", rendition: R720 },
      { at: `${d}00:54.000Z`, type: "playback.rebuffer_end", rendition: R720, fields: { duration_ms: 2000 } },
      {
        at: `${d}01:12.000Z`,
        type: "playback.view_end",
        rendition: R720,
        fields: { reason: "ended", ...stats(58_000, 2000, 1) },
      },
    ]),
    ...view("v3", "vid-a", "Firefox", [
      { at: `${d}02:00.000Z`, type: "playback.view_start" },
      { at: `${d}02:04.000Z`, type: "playback.startup_complete", rendition: R720, fields: { startup_ms: 4000 } },
      { at: `${d}02:04.000Z`, type: "playback.rendition_switch", rendition: R720, fields: { direction: "initial" } },
      {
        at: `${d}02:34.000Z`,
        type: "playback.view_end",
        rendition: R720,
        fields: { reason: "ended", ...stats(30_000) },
      },
    ]),
    ...view("v4", "vid-a", "Chrome", [
      { at: `${d}02:10.000Z`, type: "playback.view_start" },
      { at: `${d}02:15.000Z`, type: "playback.view_end", fields: { reason: "page_hide", ...stats(0) } },
    ]),
    ...view("v5", "vid-b", "Chrome", [
      { at: `${d}05:00.000Z`, type: "playback.view_start" },
      { at: `${d}05:00.500Z`, type: "playback.startup_complete", rendition: R1080, fields: { startup_ms: 500 } },
      {
        at: `${d}05:20.500Z`,
        type: "playback.heartbeat",
        rendition: R1080,
        fields: { state: "playing", ...stats(20_000) },
      },
      { at: `${d}05:30.500Z`, type: "playback.error", rendition: R1080 },
      {
        at: `${d}05:31.000Z`,
        type: "playback.view_end",
        rendition: R1080,
        fields: { reason: "error", ...stats(30_000) },
      },
    ]),
    ...view("v7", "vid-b", "Chrome", [
      { at: `${d}06:00.000Z`, type: "playback.view_start" },
      { at: `${d}06:01.000Z`, type: "playback.startup_complete", rendition: R720, fields: { startup_ms: 1000 } },
      {
        at: `${d}06:31.000Z`,
        type: "playback.heartbeat",
        rendition: R720,
        fields: { state: "playing", ...stats(30_000) },
      },
    ]),
    ...view("v6", "vid-b", "Chrome", [
      { at: "2026-11-21T09:00:00.000Z", type: "playback.view_start" },
      {
        at: "2026-11-21T09:00:03.000Z",
        type: "playback.startup_complete",
        rendition: R1080,
        fields: { startup_ms: 3000 },
      },
      {
        at: "2026-11-21T09:00:03.000Z",
        type: "playback.rendition_switch",
        rendition: R1080,
        fields: { direction: "initial" },
      },
      {
        at: "2026-11-21T09:00:33.000Z",
        type: "playback.view_end",
        rendition: R1080,
        fields: { reason: "ended", ...stats(30_000) },
      },
    ]),
  ];
}

function jobEvent(
  type: EventType,
  jobId: string,
  at: string,
  seq: number,
  job: Record<string, unknown>,
): ReeltimeEvent {
  const e = exampleEvent(type, { now: new Date(at), seq }) as Record<string, unknown>;
  return {
    ...e,
    app_id: "app-1",
    job: { ...(e.job as object), id: jobId, ...job },
    received_at: new Date(Date.parse(at) + 40).toISOString(),
  } as unknown as ReeltimeEvent;
}

/**
 * Two jobs on 2026-11-20, hour 12. J1: probe ok; renditions 720p (60 s of media in 20 s,
 * speed 3), 480p (60 s in 12 s, speed 5), 1080p failed once then ok (60 s in 40 s, speed 1.5);
 * thumbnails, manifest, metadata ok; job completed. J2: probe failed; job failed.
 * The 720p completion is published twice (same event_id), as a retrying producer would.
 */
export function knownJobs(): ReeltimeEvent[] {
  const t = (s: number) => `2026-11-20T12:00:${String(s).padStart(2, "0")}.000Z`;
  const done = (step: string, extra: Record<string, unknown> = {}) => ({
    status: "completed",
    step,
    rendition: undefined,
    speed: undefined,
    media_duration_ms: undefined,
    duration_ms: 1000,
    ...extra,
  });
  const j1 = [
    jobEvent("job.created", "j1", t(0), 0, { status: "created" }),
    jobEvent("job.step_completed", "j1", t(1), 1, done("probe")),
    jobEvent(
      "job.step_completed",
      "j1",
      t(21),
      2,
      done("rendition", { rendition: "720p", media_duration_ms: 60_000, duration_ms: 20_000, speed: 3 }),
    ),
    jobEvent(
      "job.step_completed",
      "j1",
      t(22),
      3,
      done("rendition", { rendition: "480p", media_duration_ms: 60_000, duration_ms: 12_000, speed: 5 }),
    ),
    jobEvent("job.step_failed", "j1", t(23), 4, { status: "failed", step: "rendition", rendition: "1080p" }),
    jobEvent(
      "job.step_completed",
      "j1",
      t(50),
      5,
      done("rendition", { rendition: "1080p", attempt: 2, media_duration_ms: 60_000, duration_ms: 40_000, speed: 1.5 }),
    ),
    jobEvent("job.step_completed", "j1", t(51), 6, done("thumbnails")),
    jobEvent("job.step_completed", "j1", t(52), 7, done("manifest")),
    jobEvent("job.step_completed", "j1", t(53), 8, done("metadata")),
    jobEvent("job.completed", "j1", t(54), 9, { status: "completed" }),
  ];
  const j2 = [
    jobEvent("job.created", "j2", t(0), 0, { status: "created" }),
    jobEvent("job.step_failed", "j2", t(2), 1, { status: "failed", step: "probe", rendition: undefined }),
    jobEvent("job.failed", "j2", t(3), 2, { status: "failed", step: "probe" }),
  ];
  return [...j1, j1[2]!, ...j2];
}

/** Ingest API calls: app-1 at 10:00 (200), 10:10 (400), 10:20 (200); app-2 at 10:30 (413). */
export function knownApiCalls(): ReeltimeEvent[] {
  const call = (app: string, at: string, status: number, seq: number) => {
    const e = exampleEvent("api.request", { now: new Date(at), seq }) as Record<string, unknown>;
    return {
      ...e,
      app_id: app,
      api: { ...(e.api as object), status, ...(status >= 400 ? { error_code: `HTTP_${status}` } : {}) },
      received_at: at,
    } as unknown as ReeltimeEvent;
  };
  return [
    call("app-1", "2026-11-20T10:00:00.000Z", 200, 0),
    call("app-1", "2026-11-20T10:10:00.000Z", 400, 1),
    call("app-1", "2026-11-20T10:20:00.000Z", 200, 2),
    call("app-2", "2026-11-20T10:30:00.000Z", 413, 0),
  ];
}

/** Publishes events the way ingest does: per topic, keyed, JSON values, in order. */
export async function publishAll(bus: Bus, events: ReeltimeEvent[]): Promise<void> {
  for (const e of events) {
    const { topic, key } = routeOf(e);
    await bus.publish(topic, [{ key, value: encoder.encode(JSON.stringify(e)) }]);
  }
}

/**
 * One CDN request log record (cdn.request) of 2026-11-20 10:00:30 naming `view` by its CMCD
 * session id (none when undefined), served by `pop` with this cache result and TTFB.
 */
export function cdnRequest(
  view: string | undefined,
  pop: string,
  result: "Hit" | "Miss" | "RefreshHit",
  ttfb: number,
  over: { app?: string; id?: string } = {},
): ReeltimeEvent {
  const base = exampleEvent("cdn.request", { now: new Date("2026-11-20T10:00:30.000Z") });
  const { sid: _sid, ...rest } = base.cdn;
  return {
    ...base,
    event_id: over.id ?? uuidv7(),
    app_id: over.app ?? "app-1",
    received_at: "2026-11-20T10:00:31.000Z",
    cdn: { ...rest, ...(view ? { sid: view } : {}), pop, cache_result: result, ttfb_ms: ttfb },
  } as ReeltimeEvent;
}
