import type { DeadLetter, SearchStore, StoredEvent } from "@reeltime/connectors";
import { exampleEvent, type JobRecord, type ViewRecord } from "@reeltime/events";

const MIN = 60_000;

/** One run's isolation: a random whole hour between 2001 and 2020 (nothing else writes there) and its own app ids. */
export function runWindow() {
  const run = Math.random().toString(36).slice(2, 8);
  const hours = Math.floor(Math.random() * 19 * 365 * 24);
  const t0 = Date.UTC(2001, 0, 1) + hours * 3_600_000;
  return { run, t0, from: t0, to: t0 + 30 * MIN - 1, app: `dash-${run}`, other: `dash-${run}-other` };
}
export type RunWindow = ReturnType<typeof runWindow>;

const iso = (ms: number) => new Date(ms).toISOString();

interface ViewSeed {
  id: string;
  app: string;
  video: string;
  browser: string;
  rendition?: string;
  /** What the view played on (video when not given). */
  kind?: "video" | "audio";
  at: number;
  startup?: number;
  ratio?: number;
  bitrate?: number;
  ebvs?: boolean;
  failure?: boolean;
  startupFailure?: boolean;
  /** What the CDN logged for the view: its cache hit ratio and edge locations. */
  cdn?: { hit: number; pops: string[] };
}

function view(w: RunWindow, s: ViewSeed): ViewRecord {
  const reached = s.startup !== undefined;
  return {
    view_id: `${w.run}-${s.id}`,
    session_id: `${w.run}-sess-${s.id}`,
    app_id: s.app,
    video_id: s.video,
    media_kind: s.kind ?? "video",
    browser: s.browser,
    status: "ended",
    started_at: iso(s.at),
    ended_at: iso(s.at + 30_000),
    last_event_at: iso(s.at + 30_000),
    updated_at: iso(s.at + 30_000),
    events: 10,
    last_seq: 10,
    reached_first_frame: reached,
    ...(reached ? { startup_ms: s.startup } : {}),
    ...(s.rendition ? { last_rendition: s.rendition } : {}),
    ...(s.bitrate !== undefined ? { avg_bitrate_bps: s.bitrate } : {}),
    ebvs: s.ebvs ?? false,
    startup_failure: s.startupFailure ?? false,
    playback_failure: s.failure ?? false,
    non_fatal_errors: 0,
    business_errors: 0,
    playing_ms: 20_000,
    watch_ms: 22_000,
    paused_ms: 0,
    rebuffer_count: s.ratio ? 1 : 0,
    rebuffer_ms: 2000,
    rebuffer_ratio: s.ratio ?? 0,
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
    playback_success_score: s.failure ? 0 : s.ebvs ? 50 : 100,
    ...(s.cdn
      ? {
          cdn_requests: 100,
          cdn_cache_hits: Math.round(s.cdn.hit * 100),
          cdn_cache_hit_ratio: s.cdn.hit,
          cdn_errors: 0,
          cdn_bytes: 50_000_000,
          cdn_pops: s.cdn.pops,
        }
      : {}),
  };
}

/**
 * Seven views of the run's app (and one of another app): see expected.ts for the figures.
 * v1-v3 start in the first five minutes, v4-v7 in the next five.
 */
export function seedViews(w: RunWindow): ViewRecord[] {
  const at = (m: number) => w.t0 + m * MIN;
  const seeds: ViewSeed[] = [
    {
      id: "v1",
      app: w.app,
      video: "vid-a",
      browser: "Chrome",
      rendition: "720p",
      at: at(1),
      startup: 1000,
      ratio: 0.1,
      bitrate: 3_000_000,
      cdn: { hit: 0.95, pops: ["AMS1"] },
    },
    {
      id: "v2",
      app: w.app,
      video: "vid-a",
      browser: "Chrome",
      rendition: "1080p",
      at: at(2),
      startup: 2000,
      ratio: 0,
      bitrate: 5_000_000,
      cdn: { hit: 0.85, pops: ["AMS1", "FRA2"] },
    },
    {
      id: "v3",
      app: w.app,
      video: "vid-a",
      browser: "Firefox",
      rendition: "720p",
      at: at(3),
      startup: 3000,
      ratio: 0.2,
      bitrate: 2_000_000,
      failure: true,
      cdn: { hit: 0.35, pops: ["FRA2"] },
    },
    {
      id: "v4",
      app: w.app,
      video: "vid-b",
      browser: "Firefox",
      rendition: "480p",
      at: at(6),
      startup: 4000,
      ratio: 0.05,
      bitrate: 1_000_000,
      cdn: { hit: 0.92, pops: ["FRA2"] },
    },
    {
      id: "v5",
      app: w.app,
      video: "vid-b",
      browser: "Safari",
      rendition: "1080p",
      at: at(7),
      startup: 10_000,
      ratio: 0.3,
      bitrate: 6_000_000,
    },
    // Listened to, not watched: an exit before start and a failure at startup.
    { id: "v6", app: w.app, video: "vid-b", browser: "Chrome", kind: "audio", at: at(8), ebvs: true },
    {
      id: "v7",
      app: w.app,
      video: "vid-b",
      browser: "Safari",
      kind: "audio",
      at: at(9),
      failure: true,
      startupFailure: true,
    },
    {
      id: "v8",
      app: w.other,
      video: "vid-a",
      browser: "Chrome",
      rendition: "720p",
      at: at(2),
      startup: 500,
      ratio: 0.9,
      bitrate: 9_000_000,
      failure: true,
      ebvs: false,
      cdn: { hit: 0.1, pops: ["AMS1"] },
    },
  ];
  return seeds.map((s) => view(w, s));
}

const stored = (e: object, at: number): StoredEvent => ({ ...e, received_at: iso(at) }) as unknown as StoredEvent;

interface PlaybackSeed {
  type: "playback.heartbeat" | "playback.pause" | "playback.view_end" | "playback.rebuffer_start";
  view: string;
  app: string;
  at: number;
  video: string;
  browser: string;
  rendition: string;
  /** Sent by an SDK that stamps media_kind; absent as from an SDK before it. */
  kind?: "video";
  state?: "playing" | "paused";
}

function playback(w: RunWindow, s: PlaybackSeed): StoredEvent {
  const e = exampleEvent(s.type, { now: new Date(s.at) }) as unknown as Record<string, unknown>;
  const rendition = { id: s.rendition, bitrate_bps: 2_800_000 };
  return stored(
    {
      ...e,
      app_id: s.app,
      view_id: `${w.run}-${s.view}`,
      video: { id: s.video },
      user_agent: { name: s.browser },
      rendition,
      ...(s.kind ? { media_kind: s.kind } : {}),
      ...(s.state ? { state: s.state } : {}),
    },
    s.at,
  );
}

/**
 * Playback events for concurrent viewers: minute 1 has e1, e2 live; minute 2 has e1, e2, e3.
 * vid-a's events say media_kind video; vid-b's say none (an SDK from before it).
 */
export function seedPlayback(w: RunWindow): StoredEvent[] {
  const m1 = w.t0 + 1 * MIN;
  const m2 = w.t0 + 2 * MIN;
  const a = { video: "vid-a", browser: "Chrome", rendition: "720p", kind: "video" as const, app: w.app };
  const b = { video: "vid-b", browser: "Firefox", rendition: "1080p", app: w.app };
  return [
    playback(w, { type: "playback.heartbeat", view: "e1", at: m1 + 5_000, state: "playing", ...a }),
    playback(w, { type: "playback.heartbeat", view: "e2", at: m1 + 10_000, state: "playing", ...a }),
    playback(w, { type: "playback.heartbeat", view: "e3", at: m1 + 15_000, state: "paused", ...b }),
    playback(w, { type: "playback.view_end", view: "e4", at: m1 + 20_000, ...b }),
    playback(w, { type: "playback.heartbeat", view: "e9", at: m1 + 25_000, state: "playing", ...a, app: w.other }),
    playback(w, { type: "playback.heartbeat", view: "e1", at: m2 + 5_000, state: "playing", ...a }),
    playback(w, { type: "playback.rebuffer_start", view: "e2", at: m2 + 10_000, ...a }),
    playback(w, { type: "playback.heartbeat", view: "e3", at: m2 + 15_000, state: "playing", ...b }),
    playback(w, { type: "playback.pause", view: "e1", at: m2 + 20_000, ...a }),
  ];
}

/** 105 fatal errors of the app (one a second from minute 10), one non-fatal, one fatal of the other app. */
export function seedErrors(w: RunWindow): StoredEvent[] {
  const out: StoredEvent[] = [];
  const base = w.t0 + 10 * MIN;
  const error = (i: number, app: string, severity: "fatal" | "non_fatal") => {
    const e = exampleEvent("playback.error", { now: new Date(base + i * 1000) }) as unknown as Record<string, unknown>;
    return stored(
      {
        ...e,
        app_id: app,
        view_id: `${w.run}-err-${app}-${i}`,
        error: { severity, code: `E${i}`, message: "decode error", category: "media" },
      },
      base + i * 1000,
    );
  };
  for (let i = 0; i < 105; i++) out.push(error(i, w.app, "fatal"));
  out.push(error(200, w.app, "non_fatal"), error(201, w.other, "fatal"));
  return out;
}

/** The ids of the 100 newest fatal errors of the app, newest first. */
export const newestFatal = (w: RunWindow) => Array.from({ length: 100 }, (_, i) => `${w.run}-err-${w.app}-${104 - i}`);

/** Three API calls of the app and one of the other app, a minute apart from minute 15. */
export function seedApiCalls(w: RunWindow): StoredEvent[] {
  return [0, 1, 2, 3].map((i) => {
    const at = w.t0 + (15 + i) * MIN;
    const e = exampleEvent("api.request", { now: new Date(at) }) as unknown as Record<string, unknown>;
    const api = { ...(e.api as object), route: `/v1/route-${i}` };
    return stored({ ...e, app_id: i === 3 ? w.other : w.app, api }, at);
  });
}

interface StepSeed {
  type: "job.step_completed" | "job.step_failed";
  job: string;
  step: "probe" | "rendition" | "manifest";
  rendition?: string;
  duration?: number;
  speed?: number;
  error?: { code: string; exit_code?: number };
  minute: number;
}

function step(w: RunWindow, s: StepSeed, i: number): StoredEvent {
  const at = w.t0 + s.minute * MIN + i * 1000;
  const e = exampleEvent(s.type, { now: new Date(at) }) as unknown as Record<string, unknown>;
  const job = {
    id: `${w.run}-${s.job}`,
    step: s.step,
    status: s.type === "job.step_failed" ? "failed" : "completed",
    ...(s.rendition ? { rendition: s.rendition } : {}),
    ...(s.duration !== undefined ? { duration_ms: s.duration } : {}),
    ...(s.speed !== undefined ? { speed: s.speed } : {}),
    ...(s.error ? { error: { ...s.error, message: "step failed" } } : {}),
  };
  return stored({ ...e, job }, at);
}

/** Job step events: durations and speeds per step and rendition, failed attempts with codes. */
export function seedSteps(w: RunWindow): StoredEvent[] {
  const seeds: StepSeed[] = [
    { type: "job.step_completed", job: "j1", step: "probe", duration: 500, minute: 1 },
    { type: "job.step_completed", job: "j2", step: "probe", duration: 1500, minute: 2 },
    {
      type: "job.step_completed",
      job: "j1",
      step: "rendition",
      rendition: "720p",
      duration: 20_000,
      speed: 3,
      minute: 1,
    },
    {
      type: "job.step_completed",
      job: "j2",
      step: "rendition",
      rendition: "720p",
      duration: 30_000,
      speed: 2,
      minute: 2,
    },
    {
      type: "job.step_completed",
      job: "j1",
      step: "rendition",
      rendition: "1080p",
      duration: 40_000,
      speed: 1.5,
      minute: 1,
    },
    {
      type: "job.step_completed",
      job: "j2",
      step: "rendition",
      rendition: "1080p",
      duration: 80_000,
      speed: 0.75,
      minute: 2,
    },
    { type: "job.step_completed", job: "j1", step: "manifest", duration: 100, minute: 1 },
    {
      type: "job.step_failed",
      job: "j3",
      step: "rendition",
      rendition: "1080p",
      error: { code: "FFMPEG_EXIT", exit_code: 1 },
      minute: 3,
    },
    {
      type: "job.step_failed",
      job: "j3",
      step: "rendition",
      rendition: "1080p",
      error: { code: "FFMPEG_EXIT", exit_code: 1 },
      minute: 4,
    },
    { type: "job.step_failed", job: "j5", step: "probe", error: { code: "REELTIME_ERR_NOT_A_VIDEO" }, minute: 7 },
  ];
  return seeds.map((s, i) => step(w, s, i));
}

/** Five jobs: two completed, two failed (rendition, probe), one running. */
export function seedJobs(w: RunWindow): JobRecord[] {
  const job = (id: string, minute: number, rest: Partial<JobRecord>): JobRecord => ({
    job_id: `${w.run}-${id}`,
    video_id: `vid-${id}`,
    status: "running",
    created_at: iso(w.t0 + minute * MIN),
    updated_at: iso(w.t0 + minute * MIN + 1000),
    renditions_completed: 0,
    retries: 0,
    total_bytes: 0,
    last_seq: 1,
    steps: [],
    ...rest,
  });
  return [
    job("j1", 1, { status: "completed", queue_wait_ms: 1000, duration_ms: 60_000, speed: 2 }),
    job("j2", 2, { status: "completed", queue_wait_ms: 3000, duration_ms: 120_000, speed: 1 }),
    job("j3", 3, {
      status: "failed",
      queue_wait_ms: 2000,
      failed_step: "rendition",
      failed_rendition: "1080p",
      error_code: "FFMPEG_EXIT",
      exit_code: 1,
      error_message: "ffmpeg exited with 1",
    }),
    job("j4", 6, { status: "running", queue_wait_ms: 6000 }),
    job("j5", 7, { status: "failed", queue_wait_ms: 0, failed_step: "probe", error_code: "REELTIME_ERR_NOT_A_VIDEO" }),
  ];
}

/** Five dead letters: three refused by the store (one already replayed), two not JSON. */
export function seedDeadLetters(w: RunWindow): DeadLetter[] {
  const letter = (i: number, reason: string, replayed: boolean): DeadLetter =>
    ({
      dead_letter_id: `${w.run}-dl-${i}`,
      stage: "indexer",
      reason,
      message: `${reason} #${i}`,
      topic: "reeltime.playback",
      payload: { i },
      received_at: iso(w.t0 + 20 * MIN + i * 1000),
      ...(replayed ? { replayed_at: iso(w.t0 + 25 * MIN) } : {}),
    }) as DeadLetter;
  return [
    letter(0, "rejected_by_store", true),
    letter(1, "rejected_by_store", false),
    letter(2, "rejected_by_store", false),
    letter(3, "not_json", false),
    letter(4, "not_json", false),
  ];
}

/** Writes everything through the SearchStore (templates installed by start()) and refreshes. */
export async function seedElasticsearch(search: SearchStore, w: RunWindow): Promise<void> {
  await search.start();
  const events = [...seedPlayback(w), ...seedErrors(w), ...seedApiCalls(w), ...seedSteps(w)];
  const r = await search.index(events);
  if (r.rejected.length > 0) throw new Error(`seed events refused: ${JSON.stringify(r.rejected.slice(0, 3))}`);
  await search.upsertViews(seedViews(w));
  await search.upsertJobs(seedJobs(w));
  await search.indexDeadLetters(seedDeadLetters(w));
  await search.refresh();
}
