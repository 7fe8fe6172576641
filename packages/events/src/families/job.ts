import { Type } from "@sinclair/typebox";
import { Bps, Bytes, Count, HINT, Id, Keyword, LongText, Ms, Obj, ShortText } from "../common.ts";
import { defineEvent, Video } from "../envelope.ts";
import { LIMITS } from "../limits.ts";

/** The content analyses, each a step of its own (pipeline/src/analysis): ffmpeg's, then a ContentAnalysis provider's. */
export const ANALYSIS_STEPS = [
  "scenes",
  "black",
  "freeze",
  "silence",
  "loudness",
  "moderation",
  "labels",
  "faces",
] as const;
/**
 * The steps of a segment-parallel encode (pipeline/src/chunked): the source cut into chunks at
 * keyframes (split), one chunk of one rendition encoded by any worker of the group (chunk), the
 * encoded chunks of a rendition joined and packaged (assemble).
 */
export const CHUNK_STEPS = ["split", "chunk", "assemble"] as const;
/**
 * `subtitles`: one WebVTT file of one language checked and published as a subtitle rendition
 * (its `rendition` is `subtitles-<language>`); an optional step, a bad file fails it alone.
 */
export const JOB_STEPS = [
  "probe",
  "rendition",
  "subtitles",
  "thumbnails",
  "manifest",
  "metadata",
  ...ANALYSIS_STEPS,
  ...CHUNK_STEPS,
] as const;
export const JOB_STATUSES = ["created", "running", "completed", "failed"] as const;
/** Why a loudness measurement is outside the configured target. */
export const LOUDNESS_FLAGS = ["silent", "too_quiet", "too_loud", "true_peak_over"] as const;

const Lufs = (description: string) => Type.Number({ minimum: -200, maximum: 200, description });

/** One finding of an analysis with where it is in the video: a stretch, a scene change (start = end) or a label. */
export const AnalysisFinding = Obj({
  name: ShortText({ description: "what was found: black, freeze, silence, scene, or the provider's label" }),
  start_ms: Ms("where it starts, from the start of the video"),
  end_ms: Ms("where it ends (exclusive); equal to start_ms for an instant"),
  confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: "the provider's confidence, %" })),
  parent: Type.Optional(ShortText({ description: "the label's parent in the provider's taxonomy" })),
  score: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "ffmpeg's scene score of a scene change" })),
});

/** What an analysis step found (on its job.step_completed), or the poster the thumbnails step chose. */
export const JobAnalysis = Obj({
  provider: Type.Optional(ShortText({ description: "who analysed: ffmpeg, rekognition" })),
  findings: Type.Optional(Count("how many findings the analysis made")),
  total_ms: Type.Optional(Ms("time its stretches cover together (black, freeze, silence)")),
  items: Type.Optional(
    Type.Array(AnalysisFinding, {
      maxItems: 200,
      [HINT]: "json",
      description: "the findings in time order, the first 200",
    }),
  ),
  labels: Type.Optional(
    Type.Array(ShortText({ search: true }), {
      maxItems: 100,
      description: "the distinct names found (labels, moderation)",
    }),
  ),
  poster_ms: Type.Optional(Ms("where the poster frame was taken")),
  integrated_lufs: Type.Optional(Lufs("EBU R128 integrated loudness, LUFS")),
  loudness_range_lu: Type.Optional(
    Type.Number({ minimum: 0, maximum: 200, description: "EBU R128 loudness range, LU" }),
  ),
  true_peak_dbtp: Type.Optional(Lufs("maximum true peak, dBTP")),
  target_lufs: Type.Optional(Lufs("the loudness target it was judged against")),
  loudness_flags: Type.Optional(
    Type.Array(Keyword(LOUDNESS_FLAGS), { maxItems: 4, description: "none: within target" }),
  ),
  loudness_ok: Type.Optional(Type.Boolean({ description: "within the loudness target (no flag)" })),
  model_version: Type.Optional(ShortText()),
});

export const JobError = Obj({
  code: ShortText({ description: "e.g. REELTIME_ERR_NOT_A_VIDEO, FFMPEG_EXIT" }),
  message: LongText({ search: true }),
  exit_code: Type.Optional(Type.Integer({ minimum: -255, maximum: 255 })),
  signal: Type.Optional(Type.String({ maxLength: 16 })),
  stderr_tail: Type.Optional(Type.String({ maxLength: LIMITS.detailText })),
});

/** Which chunk of a segment-parallel encode a step is about: `index` of `count` (the split step names the count alone). */
export const JobChunk = Obj({
  index: Type.Optional(Count("the chunk's place, from 0, in the order of the media")),
  count: Count("how many chunks the source was split into"),
});

/** Job context: which job, which step, and the figures the step produced. */
export const Job = Obj({
  id: Id,
  step: Type.Optional(Keyword(JOB_STEPS)),
  rendition: Type.Optional(Type.String({ maxLength: 32, description: "rendition id, e.g. 720p" })),
  status: Keyword(JOB_STATUSES),
  attempt: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  source: Type.Optional(LongText({ search: true, description: "input file or object key" })),
  queue_wait_ms: Type.Optional(Ms()),
  duration_ms: Type.Optional(Ms("wall time of the step or job")),
  media_duration_ms: Type.Optional(Ms()),
  progress_pct: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  bytes: Type.Optional(Bytes()),
  bitrate_bps: Type.Optional(Bps("achieved bitrate")),
  target_bitrate_bps: Type.Optional(Bps()),
  speed: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000, description: "media duration ÷ encode time" })),
  width: Type.Optional(Count()),
  height: Type.Optional(Count()),
  codec: Type.Optional(Type.String({ maxLength: 32 })),
  segments: Type.Optional(Count()),
  renditions: Type.Optional(Count()),
  manifests: Type.Optional(
    Type.Array(LongText(), {
      maxItems: 8,
      description:
        "archive keys of the manifests the job published (media/<video_id>/master.m3u8, and manifest.mpd for a CMAF package), on the manifest step and job.completed",
    }),
  ),
  analysis: Type.Optional(JobAnalysis),
  chunk: Type.Optional(JobChunk),
  error: Type.Optional(JobError),
});

const jobFields = { job: Job, video: Type.Optional(Video) };
const jobEvent = <T extends string>(type: T, description: string) => defineEvent(type, description, { ...jobFields });

export const JobEvents = {
  /** Fires when an upload is accepted as a job. */
  "job.created": jobEvent("job.created", "a transcoding job was created"),
  /** Fires when a step (probe, one rendition, one subtitle language, thumbnails, manifest, metadata, an analysis, split, one chunk, assemble) starts. */
  "job.step_started": jobEvent("job.step_started", "a step started"),
  /** Fires during long steps with progress_pct and speed. */
  "job.step_progress": jobEvent("job.step_progress", "a step reports progress"),
  /** Fires when a step finished, with duration, bytes, bitrate and speed; an analysis with what it found (`job.analysis`). */
  "job.step_completed": jobEvent("job.step_completed", "a step completed"),
  /** Fires when a step attempt failed, with ffmpeg's exit status and stderr tail. */
  "job.step_failed": jobEvent("job.step_failed", "a step failed"),
  /** Fires when the manifests (HLS master playlist, DASH MPD) are published; lists them in `job.manifests`. */
  "job.completed": jobEvent("job.completed", "the job completed"),
  /** Fires when the job gives up. */
  "job.failed": jobEvent("job.failed", "the job failed"),
} as const;
