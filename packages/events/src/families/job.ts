import { Type } from "@sinclair/typebox";
import { Bps, Bytes, Count, Id, Keyword, LongText, Ms, Obj, ShortText } from "../common.ts";
import { defineEvent, Video } from "../envelope.ts";
import { LIMITS } from "../limits.ts";

export const JOB_STEPS = ["probe", "rendition", "thumbnails", "manifest", "metadata"] as const;
export const JOB_STATUSES = ["created", "running", "completed", "failed"] as const;

export const JobError = Obj({
  code: ShortText({ description: "e.g. REELTIME_ERR_NOT_A_VIDEO, FFMPEG_EXIT" }),
  message: LongText({ search: true }),
  exit_code: Type.Optional(Type.Integer({ minimum: -255, maximum: 255 })),
  signal: Type.Optional(Type.String({ maxLength: 16 })),
  stderr_tail: Type.Optional(Type.String({ maxLength: LIMITS.detailText })),
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
  error: Type.Optional(JobError),
});

const jobFields = { job: Job, video: Type.Optional(Video) };
const jobEvent = <T extends string>(type: T, description: string) => defineEvent(type, description, { ...jobFields });

export const JobEvents = {
  /** Fires when an upload is accepted as a job. */
  "job.created": jobEvent("job.created", "a transcoding job was created"),
  /** Fires when a step (probe, one rendition, thumbnails, manifest, metadata) starts. */
  "job.step_started": jobEvent("job.step_started", "a step started"),
  /** Fires during long steps with progress_pct and speed. */
  "job.step_progress": jobEvent("job.step_progress", "a step reports progress"),
  /** Fires when a step finished, with duration, bytes, bitrate and speed. */
  "job.step_completed": jobEvent("job.step_completed", "a step completed"),
  /** Fires when a step attempt failed, with ffmpeg's exit status and stderr tail. */
  "job.step_failed": jobEvent("job.step_failed", "a step failed"),
  /** Fires when the master playlist is published. */
  "job.completed": jobEvent("job.completed", "the job completed"),
  /** Fires when the job gives up. */
  "job.failed": jobEvent("job.failed", "the job failed"),
} as const;
