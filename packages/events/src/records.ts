import { type Static, Type } from "@sinclair/typebox";
import { AppId, Count, HINT, Id, Keyword, LongText, Ms, Obj, ShortText, Timestamp } from "./common.ts";
import { STREAM_TYPES } from "./envelope.ts";
import { ANALYSIS_STEPS, AnalysisFinding, JOB_STATUSES, JOB_STEPS, LOUDNESS_FLAGS } from "./families/job.ts";
import { MEDIA_KINDS } from "./families/playback.ts";

const Opt = Type.Optional;
const Ratio = Type.Number({ minimum: 0 });
const Score = Type.Number({ minimum: 0, maximum: 100 });
const SignedMs = (description: string) => Type.Integer({ minimum: -86_400_000, maximum: 2_147_483_647, description });

/** One record per view: the QoE figures of ../shared/QOE.md, computed by the sessionizer. */
export const ViewRecord = Obj(
  {
    view_id: Id,
    session_id: Id,
    app_id: Opt(AppId),
    viewer_id: Opt(Id),
    video_id: Id,
    video_title: Opt(ShortText({ search: true })),
    video_duration_ms: Opt(Ms()),
    // Optional for records written before audio views: readers take "video" when absent.
    media_kind: Opt(
      Keyword(
        MEDIA_KINDS,
        "video or audio: the kind of element the view played on (the sessionizer writes video when its events name none)",
      ),
    ),
    player_name: Opt(ShortText()),
    browser: Opt(ShortText()),
    os: Opt(ShortText()),
    device_type: Opt(ShortText()),
    country: Opt(Type.String({ maxLength: 2 })),
    page_url: Opt(LongText()),
    // Optional for records written before sampling was weighted: readers take 1 when absent.
    sample_rate: Opt(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1,
        description: "the share of views the SDK kept (1: every view); counts and sums weight each view by `weight`",
      }),
    ),
    weight: Opt(
      Type.Number({
        minimum: 1,
        description:
          "views this record stands for: 1 / sample_rate (sum it instead of counting records; 1 when absent)",
      }),
    ),
    status: Keyword(["active", "ended"] as const),
    end_reason: Opt(ShortText()),
    started_at: Timestamp,
    ended_at: Opt(Timestamp),
    last_event_at: Timestamp,
    updated_at: Timestamp,
    events: Count(),
    last_seq: Count(),
    reached_first_frame: Type.Boolean(),
    startup_ms: Opt(Ms()),
    ebvs: Type.Boolean({ description: "exit before video start (waits under 1 s not counted)" }),
    startup_failure: Type.Boolean(),
    playback_failure: Type.Boolean(),
    fatal_error_code: Opt(ShortText()),
    non_fatal_errors: Count(),
    business_errors: Count(),
    playing_ms: Ms(),
    watch_ms: Ms(),
    paused_ms: Ms(),
    rebuffer_count: Count(),
    rebuffer_ms: Ms(),
    rebuffer_ratio: Ratio,
    rebuffer_frequency: Type.Number({ minimum: 0, description: "rebuffers per minute of playing time" }),
    seek_count: Count(),
    seek_latency_ms: Ms("total seek latency"),
    avg_bitrate_bps: Opt(Type.Number({ minimum: 0 })),
    rendition_switches: Count(),
    switches_up: Count(),
    switches_down: Count(),
    last_rendition: Opt(Type.String({ maxLength: 64 })),
    avg_upscale: Opt(Ratio),
    max_upscale: Opt(Ratio),
    dropped_frames: Count(),
    max_milestone: Count(),
    requests: Count(),
    request_failures: Count(),
    avg_ttfb_ms: Opt(Type.Number({ minimum: 0 })),
    avg_throughput_bps: Opt(Type.Number({ minimum: 0 })),
    startup_score: Opt(Score),
    smoothness_score: Score,
    quality_score: Opt(Score),
    playback_success_score: Score,
    // Live streams: the stream type and the SDK's newest live figures (heartbeat / view_end `live`).
    // Optional for records written before live views: readers take "vod" when absent.
    stream_type: Opt(Keyword(STREAM_TYPES, "vod or live (the sessionizer writes vod when its events name none)")),
    live_latency_ms: Opt(SignedMs("live: wall clock minus program date time at the playhead, last reported")),
    live_latency_p50_ms: Opt(SignedMs("live: median latency over the view (sampled at most once a second)")),
    live_edge_distance_ms: Opt(Ms("live: distance from the playhead to the live edge, last reported")),
    live_max_behind_ms: Opt(Ms("live: the most the view was behind the player's target latency")),
    live_catchup_ms: Opt(Ms("live: time played at a rate above 1 to catch up with the live edge")),
    // Delivery: what the CDN logged for the view (its requests carry the view id as CMCD sid),
    // from the delivery processor's running totals. Absent when no CDN log named the view.
    cdn_requests: Opt(Count("CDN requests of the view (each counted once)")),
    cdn_cache_hits: Opt(Count("of which the edge served from its cache")),
    cdn_cache_hit_ratio: Opt(Type.Number({ minimum: 0, maximum: 1, description: "cdn_cache_hits / cdn_requests" })),
    cdn_errors: Opt(Count("CDN requests that ended in an error")),
    cdn_bytes: Opt(Type.Integer({ minimum: 0, description: "bytes the CDN sent for the view" })),
    cdn_ttfb_p50_ms: Opt(Ms("median time to first byte at the edge (within 1 %)")),
    cdn_throughput_p50_bps: Opt(
      Type.Integer({ minimum: 0, description: "median per-request throughput at the edge (within 1 %)" }),
    ),
    cdn_pops: Opt(
      Type.Array(ShortText(), { maxItems: 16, description: "edge locations that served the view, most used first" }),
    ),
  },
  "one playback view with its QoE figures",
);
export type ViewRecord = Static<typeof ViewRecord>;

export const JobStep = Obj({
  step: Keyword(JOB_STEPS),
  rendition: Opt(Type.String({ maxLength: 32 })),
  status: Keyword(JOB_STATUSES),
  attempts: Count(),
  duration_ms: Opt(Ms()),
  bytes: Opt(Type.Integer({ minimum: 0 })),
  bitrate_bps: Opt(Type.Integer({ minimum: 0 })),
  target_bitrate_bps: Opt(Type.Integer({ minimum: 0 })),
  speed: Opt(Type.Number({ minimum: 0 })),
});

/** The chunks of one rendition of a segment-parallel encode, as their chunk steps left them. */
export const JobChunks = Obj({
  rendition: Type.String({ maxLength: 32 }),
  count: Count("how many chunks the source was split into"),
  completed: Count(),
  running: Count(),
  failed: Count("chunks whose last attempt failed"),
  retries: Count("attempts after each chunk's first"),
  states: Type.String({
    maxLength: 4096,
    pattern: "^[prcf]*$",
    description: "one letter per chunk, in media order: p pending, r running, c completed, f failed",
  }),
});

/** One record per transcoding job, maintained by the job tracker. */
export const JobRecord = Obj(
  {
    job_id: Id,
    video_id: Opt(Id),
    app_id: Opt(AppId),
    status: Keyword(JOB_STATUSES),
    source: Opt(LongText({ search: true })),
    created_at: Timestamp,
    updated_at: Timestamp,
    completed_at: Opt(Timestamp),
    queue_wait_ms: Opt(Ms()),
    duration_ms: Opt(Ms()),
    media_duration_ms: Opt(Ms()),
    renditions_completed: Count(),
    retries: Count(),
    total_bytes: Type.Integer({ minimum: 0 }),
    speed: Opt(Type.Number({ minimum: 0 })),
    failed_step: Opt(ShortText()),
    failed_rendition: Opt(ShortText()),
    error_code: Opt(ShortText()),
    error_message: Opt(LongText({ search: true })),
    exit_code: Opt(Type.Integer()),
    last_seq: Count(),
    steps: Type.Array(JobStep, { maxItems: 64, [HINT]: "json" }),
    chunks: Opt(Type.Array(JobChunks, { maxItems: 16, [HINT]: "json", description: "segment-parallel encodes only" })),
  },
  "one transcoding job with its per-step figures",
);
export type JobRecord = Static<typeof JobRecord>;

/** The lifecycle of a video in the catalogue. */
export const VIDEO_STATUSES = ["uploaded", "processing", "ready", "failed"] as const;

/** One rendition of a ready video. */
export const VideoRendition = Obj({
  id: ShortText({ description: "e.g. 720p" }),
  width: Opt(Count()),
  height: Opt(Count()),
  bitrate_bps: Opt(Type.Integer({ minimum: 0 })),
  codecs: Opt(ShortText()),
  playlist: Opt(LongText()),
  // Optional: rows and records kept before sizes were recorded have none.
  bytes: Opt(Type.Integer({ minimum: 0, description: "output size: the rendition's segments plus its playlist" })),
});

/** A finding of the video record: the finding of an analysis step and which analysis made it. */
export const VideoFinding = Type.Composite([Obj({ analysis: Keyword(ANALYSIS_STEPS) }), AnalysisFinding], {
  additionalProperties: false,
});

const Level = (description: string) => Type.Number({ minimum: -200, maximum: 200, description });

/**
 * What the content analyses found in a video, from their job steps (the newest run of each):
 * totals to filter and search on, and every finding with where it is in the video.
 */
export const VideoAnalysis = Obj({
  poster_ms: Opt(Ms("where the poster frame was taken: the most representative frame neither black nor frozen")),
  scene_changes: Opt(Count()),
  black_ms: Opt(Ms("black stretches together")),
  freeze_ms: Opt(Ms("frozen stretches together")),
  silence_ms: Opt(Ms("silent stretches together")),
  integrated_lufs: Opt(Level("EBU R128 integrated loudness, LUFS")),
  loudness_range_lu: Opt(Type.Number({ minimum: 0, maximum: 200, description: "EBU R128 loudness range, LU" })),
  true_peak_dbtp: Opt(Level("maximum true peak, dBTP")),
  target_lufs: Opt(Level("the loudness target it was judged against")),
  loudness_flags: Opt(Type.Array(Keyword(LOUDNESS_FLAGS), { maxItems: 4 })),
  loudness_ok: Opt(Type.Boolean({ description: "within the loudness target" })),
  labels: Opt(
    Type.Array(ShortText({ search: true }), { maxItems: 100, description: "labels found (label detection)" }),
  ),
  moderation: Opt(
    Type.Array(ShortText({ search: true }), {
      maxItems: 100,
      description: "moderation labels found (content moderation)",
    }),
  ),
  faces: Opt(Count("face detections")),
  findings: Type.Array(VideoFinding, {
    maxItems: 1600,
    [HINT]: "json",
    description: "every finding in time order with its analysis: where in the video",
  }),
});

/**
 * One record per video, maintained by the catalogue updater from the upload and job events.
 * The owner's email is kept by the catalogue (PostgreSQL) for the notifier, never here: this
 * record is what search and the archive hold.
 */
export const VideoRecord = Obj(
  {
    video_id: Id,
    app_id: AppId,
    title: Opt(ShortText({ search: true })),
    owner_id: Opt(Id),
    status: Keyword(VIDEO_STATUSES),
    failure_code: Opt(ShortText()),
    failure_message: Opt(LongText({ search: true })),
    upload_id: Opt(Id),
    source_key: Opt(LongText()),
    source_version: Opt(ShortText()),
    source_bytes: Opt(Type.Integer({ minimum: 0 })),
    content_type: Opt(ShortText()),
    job_id: Opt(Id),
    duration_ms: Opt(Ms()),
    width: Opt(Count()),
    height: Opt(Count()),
    renditions: Type.Array(VideoRendition, { maxItems: 16, [HINT]: "json" }),
    manifests: Type.Array(LongText(), { maxItems: 8 }),
    thumbnails: Type.Array(LongText(), { maxItems: 64 }),
    uploaded_at: Opt(Timestamp),
    processing_at: Opt(Timestamp),
    ready_at: Opt(Timestamp),
    failed_at: Opt(Timestamp),
    updated_at: Timestamp,
    upload_to_ready_ms: Opt(Type.Integer({ minimum: 0 })),
    analysis: Opt(VideoAnalysis),
    revision: Opt(
      Type.Integer({
        minimum: 1,
        description:
          "the catalogue row's revision: 1 when first written, one more at every change; the archive may hold a video several times and readers keep its newest (latest updated_at, then highest revision)",
      }),
    ),
  },
  "one video of the catalogue, with its state timestamps",
);
export type VideoRecord = Static<typeof VideoRecord>;

export const RECORDS = { views: ViewRecord, jobs: JobRecord, videos: VideoRecord } as const;
export type RecordName = keyof typeof RECORDS;
