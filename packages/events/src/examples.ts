import { v7 as uuidv7 } from "uuid";
import { SCHEMA_VERSION } from "./limits.ts";
import type { EventOf, EventType, ReeltimeEvent } from "./registry.ts";

type Base = { now?: Date; seq?: number };

const playbackBase = (b: Base) => ({
  event_id: uuidv7(),
  schema_version: SCHEMA_VERSION,
  client_ts: (b.now ?? new Date()).toISOString(),
  seq: b.seq ?? 1,
  session_id: "sess-4f1c2a",
  view_id: "view-9d2e7b",
  viewer_id: "viewer-51aa",
  video: { id: "vid-big-buck-bunny", title: "Big Buck Bunny", duration_ms: 596_000, stream_type: "vod" as const },
  playhead_ms: 12_500,
  player: { name: "hls.js", version: "1.6.0", sdk_version: "0.1.0", autoplay: false, muted: true },
  page: { url: "https://video.example.com/watch/big-buck-bunny" },
});

const rendition720 = { id: "720p", bitrate_bps: 2_800_000, width: 1280, height: 720, codecs: "avc1.64001f,mp4a.40.2" };
const rendition480 = { id: "480p", bitrate_bps: 1_400_000, width: 854, height: 480, codecs: "avc1.64001e,mp4a.40.2" };
const stats = { startup_ms: 850, playing_ms: 11_650, rebuffer_ms: 420, rebuffer_count: 1, seek_count: 0 };

const jobBase = (b: Base) => ({
  event_id: uuidv7(),
  schema_version: SCHEMA_VERSION,
  client_ts: (b.now ?? new Date()).toISOString(),
  seq: b.seq ?? 1,
  video: { id: "vid-big-buck-bunny", title: "Big Buck Bunny" },
});

const job = { id: "job-7f3a", attempt: 1, source: "uploads/big-buck-bunny.mp4" };

const uploadBase = (b: Base) => ({
  event_id: uuidv7(),
  schema_version: SCHEMA_VERSION,
  client_ts: (b.now ?? new Date()).toISOString(),
  seq: b.seq ?? 1,
  app_id: "demo",
  video: { id: "vid-big-buck-bunny", title: "Big Buck Bunny" },
  owner: { id: "user-42", email: "owner@example.com" },
});

const upload = {
  id: "upl-0192f3a0",
  bucket: "reeltime-uploads",
  key: "demo/vid-big-buck-bunny/source.mp4",
  content_type: "video/mp4",
};

const notificationBase = (b: Base) => ({
  event_id: uuidv7(),
  schema_version: SCHEMA_VERSION,
  client_ts: (b.now ?? new Date()).toISOString(),
  seq: b.seq ?? 1,
  app_id: "demo",
  video: { id: "vid-big-buck-bunny", title: "Big Buck Bunny" },
});

const notification = {
  id: "ntf-vid-big-buck-bunny-ready-wh-1",
  channel: "webhook" as const,
  trigger: "video.ready" as const,
  endpoint_id: "wh-1",
};

/** A valid example of every event type; `overrides` replace top-level fields. */
const EXAMPLES: { [T in EventType]: (b: Base) => EventOf<T> } = {
  "playback.view_start": (b) => ({
    ...playbackBase(b),
    event_type: "playback.view_start",
    playhead_ms: 0,
    preload: "auto",
  }),
  "playback.view_end": (b) => ({ ...playbackBase(b), event_type: "playback.view_end", reason: "ended", stats }),
  "playback.play": (b) => ({ ...playbackBase(b), event_type: "playback.play" }),
  "playback.pause": (b) => ({ ...playbackBase(b), event_type: "playback.pause" }),
  "playback.playing": (b) => ({ ...playbackBase(b), event_type: "playback.playing" }),
  "playback.waiting": (b) => ({ ...playbackBase(b), event_type: "playback.waiting" }),
  "playback.startup_complete": (b) => ({
    ...playbackBase(b),
    event_type: "playback.startup_complete",
    startup_ms: 850,
  }),
  "playback.heartbeat": (b) => ({
    ...playbackBase(b),
    event_type: "playback.heartbeat",
    state: "playing",
    stats,
    rendition: rendition720,
    display: { width: 960, height: 540, pixel_ratio: 2 },
  }),
  "playback.rebuffer_start": (b) => ({
    ...playbackBase(b),
    event_type: "playback.rebuffer_start",
    cause: "buffer_empty",
  }),
  "playback.rebuffer_end": (b) => ({ ...playbackBase(b), event_type: "playback.rebuffer_end", duration_ms: 420 }),
  "playback.seek_start": (b) => ({
    ...playbackBase(b),
    event_type: "playback.seek_start",
    from_ms: 12_500,
    to_ms: 60_000,
  }),
  "playback.seek_end": (b) => ({
    ...playbackBase(b),
    event_type: "playback.seek_end",
    from_ms: 12_500,
    to_ms: 60_000,
    latency_ms: 310,
  }),
  "playback.rendition_switch": (b) => ({
    ...playbackBase(b),
    event_type: "playback.rendition_switch",
    rendition: rendition720,
    from_rendition: rendition480,
    direction: "up",
  }),
  "playback.error": (b) => ({
    ...playbackBase(b),
    event_type: "playback.error",
    error: { severity: "fatal", code: "MEDIA_ERR_DECODE", message: "decode error in fragment 12", category: "media" },
  }),
  "playback.milestone": (b) => ({ ...playbackBase(b), event_type: "playback.milestone", percent: 25 }),
  "playback.request": (b) => ({
    ...playbackBase(b),
    event_type: "playback.request",
    request: {
      kind: "fragment",
      url: "https://cdn.example.com/vid-big-buck-bunny/720p/seg-00012.ts",
      status: 200,
      ttfb_ms: 45,
      download_ms: 180,
      bytes: 1_050_000,
      throughput_bps: 46_666_666,
      retries: 0,
      failed: false,
      rendition_id: "720p",
    },
  }),
  "playback.cmcd": (b) => ({
    ...playbackBase(b),
    event_type: "playback.cmcd",
    cmcd: {
      v: 2,
      e: "ps",
      sta: "p",
      sid: "view-9d2e7b",
      br: [2800],
      bl: [12_000],
      mtp: [25_400],
      ot: "v",
      sf: "h",
      st: "v",
    },
    cmcd_custom: { "com.example-x": "hello" },
  }),
  "playback.delivery": (b) => ({
    event_id: uuidv7(),
    schema_version: SCHEMA_VERSION,
    client_ts: (b.now ?? new Date()).toISOString(),
    seq: 0,
    app_id: "demo",
    session_id: "view-9d2e7b",
    view_id: "view-9d2e7b",
    event_type: "playback.delivery",
    delivery: {
      requests: 42,
      cache_hits: 39,
      errors: 0,
      bytes: 31_400_000,
      ttfb_p50_ms: 18,
      throughput_p50_bps: 48_000_000,
      pops: ["FRA56-C1", "FRA60-P2"],
      first_request_at: new Date((b.now ?? new Date()).getTime() - 60_000).toISOString(),
      last_request_at: (b.now ?? new Date()).toISOString(),
    },
  }),
  click: (b) => ({
    event_id: uuidv7(),
    schema_version: SCHEMA_VERSION,
    client_ts: (b.now ?? new Date()).toISOString(),
    seq: b.seq ?? 1,
    event_type: "click",
    session_id: "sess-4f1c2a",
    view_id: "view-9d2e7b",
    page: { url: "https://video.example.com/watch/big-buck-bunny" },
    video: { id: "vid-big-buck-bunny" },
    playhead_ms: 30_000,
    click: {
      element_path: "main > section.player > button#share",
      target: { tag: "button", id: "share", label: "Share" },
      x: 812,
      y: 640,
      viewport_width: 1440,
      viewport_height: 900,
    },
  }),
  "job.created": (b) => ({ ...jobBase(b), event_type: "job.created", job: { ...job, status: "created" } }),
  "job.step_started": (b) => ({
    ...jobBase(b),
    event_type: "job.step_started",
    job: { ...job, status: "running", step: "rendition", rendition: "720p" },
  }),
  "job.step_progress": (b) => ({
    ...jobBase(b),
    event_type: "job.step_progress",
    job: { ...job, status: "running", step: "rendition", rendition: "720p", progress_pct: 42.5, speed: 3.1 },
  }),
  "job.step_completed": (b) => ({
    ...jobBase(b),
    event_type: "job.step_completed",
    job: {
      ...job,
      status: "completed",
      step: "rendition",
      rendition: "720p",
      duration_ms: 19_200,
      media_duration_ms: 60_000,
      bytes: 21_000_000,
      bitrate_bps: 2_790_000,
      target_bitrate_bps: 2_800_000,
      speed: 3.13,
      width: 1280,
      height: 720,
      codec: "h264",
      segments: 10,
    },
  }),
  "job.step_failed": (b) => ({
    ...jobBase(b),
    event_type: "job.step_failed",
    job: {
      ...job,
      status: "failed",
      step: "rendition",
      rendition: "1080p",
      duration_ms: 800,
      error: {
        code: "FFMPEG_EXIT",
        message: "ffmpeg exited with status 1",
        exit_code: 1,
        stderr_tail: "Invalid data found when processing input",
      },
    },
  }),
  "job.completed": (b) => ({
    ...jobBase(b),
    event_type: "job.completed",
    job: { ...job, status: "completed", duration_ms: 48_000, renditions: 4, bytes: 61_000_000 },
  }),
  "job.failed": (b) => ({
    ...jobBase(b),
    event_type: "job.failed",
    job: {
      ...job,
      status: "failed",
      step: "probe",
      error: { code: "REELTIME_ERR_NOT_A_VIDEO", message: "the upload has no video stream" },
    },
  }),
  "api.request": (b) => ({
    event_id: uuidv7(),
    schema_version: SCHEMA_VERSION,
    client_ts: (b.now ?? new Date()).toISOString(),
    seq: b.seq ?? 0,
    event_type: "api.request",
    app_id: "demo",
    api: {
      route: "/v1/events",
      method: "POST",
      status: 200,
      latency_ms: 3.2,
      request_bytes: 5400,
      response_bytes: 310,
      accepted: 12,
      rejected: 0,
      key_id: "wk_demo",
    },
  }),
  "upload.created": (b) => ({
    ...uploadBase(b),
    event_type: "upload.created",
    upload: { ...upload, parts: 4, bytes: 83_886_080 },
  }),
  "upload.completed": (b) => ({
    ...uploadBase(b),
    event_type: "upload.completed",
    upload: {
      ...upload,
      parts: 4,
      bytes: 83_886_080,
      version: "3f9a0c1e5b7d2a4c6e8f0a1b3c5d7e9f-4",
      checksum_sha256: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
      source: "api",
    },
  }),
  "upload.aborted": (b) => ({
    ...uploadBase(b),
    event_type: "upload.aborted",
    upload: {
      ...upload,
      error: { code: "REELTIME_ERR_CHECKSUM", message: "the object's SHA-256 is not the one announced" },
    },
  }),
  "notification.sent": (b) => ({
    ...notificationBase(b),
    event_type: "notification.sent",
    notification: { ...notification, attempt: 1, status_code: 200, latency_ms: 84 },
  }),
  "notification.failed": (b) => ({
    ...notificationBase(b),
    event_type: "notification.failed",
    notification: {
      ...notification,
      attempt: 2,
      status_code: 500,
      latency_ms: 120,
      next_attempt_at: new Date((b.now ?? new Date()).getTime() + 60_000).toISOString(),
      error: { code: "REELTIME_ERR_WEBHOOK_STATUS", message: "the endpoint answered 500" },
    },
  }),
  "cdn.request": (b) => ({
    event_id: uuidv7(),
    schema_version: SCHEMA_VERSION,
    client_ts: (b.now ?? new Date()).toISOString(),
    seq: b.seq ?? 1,
    event_type: "cdn.request",
    client: { ip: "192.0.2.0" },
    user_agent: { original: "Mozilla/5.0 (X11; Linux x86_64)", name: "Mozilla", device_type: "desktop" },
    cdn: {
      source: "cloudfront-standard",
      pop: "SEA19-C1",
      request_id: "1pkpNfBQ39sYMnjjUQjmH2w1wdJnbHYTbag21o_3OfcQgPzdL2RSSQ==",
      host: "d111111abcdef8.cloudfront.net",
      method: "GET",
      uri: "/media/vid-big-buck-bunny/720p/seg_00003.m4s",
      query_present: true,
      status: 206,
      bytes: 524_800,
      request_bytes: 410,
      ttfb_ms: 12,
      total_ms: 84,
      cache_result: "Hit",
      response_result: "Hit",
      detailed_result: "Hit",
      protocol: "https",
      protocol_version: "HTTP/2.0",
      range_start: 0,
      range_end: 524_287,
      content_type: "video/iso.segment",
      content_length: 524_288,
      sid: "view-9d2e7b",
      cid: "vid-big-buck-bunny",
      log_file: "s3://cdn-logs/E2EXAMPLE.2026-12-04-14.a1b2c3d4.gz",
      line: 3,
    },
    cmcd: { br: [2800], bl: [12_000], ot: "v", sid: "view-9d2e7b", cid: "vid-big-buck-bunny", sf: "h", st: "v" },
  }),
  "notification.dead": (b) => ({
    ...notificationBase(b),
    event_type: "notification.dead",
    notification: {
      ...notification,
      attempt: 31,
      status_code: 500,
      attempts_left: 0,
      error: { code: "REELTIME_ERR_WEBHOOK_STATUS", message: "24 h of retries, last answer 500" },
    },
  }),
};

/** A fresh, valid example of `type` (new event_id, client_ts = now unless given). */
export function exampleEvent<T extends EventType>(type: T, base: Base = {}): EventOf<T> {
  return EXAMPLES[type](base) as EventOf<T>;
}

export function exampleEvents(base: Base = {}): ReeltimeEvent[] {
  return (Object.keys(EXAMPLES) as EventType[]).map((t) => exampleEvent(t, base) as ReeltimeEvent);
}
