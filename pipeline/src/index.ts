export { ProgressView } from "./cli/progress-view.ts";
export { exportPackage, type TranscodeCommandOptions, transcodeCommand } from "./cli/transcode.ts";
export { uploadsPrefix, type WatchCommandOptions, watchCommand } from "./cli/watch.ts";
export { enqueueUploads, startWorkerService, type WorkerCommandOptions } from "./cli/worker.ts";
export { FfmpegError, INPUT_ERRORS, type InputErrorCode, inputError, isInputError, WORKER_ERRORS } from "./errors.ts";
export { type MediaInfo, parseProbe, probe } from "./ffmpeg/probe.ts";
export { type FfmpegProgress, ProgressParser } from "./ffmpeg/progress.ts";
export { type RunOptions, type RunResult, runTool, type ToolRunner } from "./ffmpeg/run.ts";
export { AAC_LC, avc1Codec, renderMaster, type VariantInfo } from "./hls/master.ts";
export { parseMediaPlaylist, type SegmentRef } from "./hls/media-playlist.ts";
export { inspectInput } from "./input/inspect.ts";
export { DEFAULT_LIMITS, type InputLimits } from "./input/limits.ts";
export { mediaKeys } from "./job/keys.ts";
export { Limiter } from "./job/limit.ts";
export { JobReporter } from "./job/reporter.ts";
export { backoffMs, DEFAULT_RETRY, type RetryOptions, withRetry } from "./job/retry.ts";
export { StepFailure, toJobError } from "./job/steps.ts";
export { DEFAULT_LADDER, planRenditions, type RenditionPlan, type Rung, selectRungs } from "./ladder.ts";
export {
  type JobRequest,
  type JobResult,
  type PipelineDeps,
  type PipelineOptions,
  TranscodePipeline,
  videoIdFromName,
} from "./pipeline.ts";
export type { RenditionResult } from "./steps/rendition.ts";
export type { ThumbnailsResult } from "./steps/thumbnails.ts";
export { type ProcessedRecord, UploadWatcher, type WatchOptions } from "./watch.ts";
export { type Claim, type ClaimOutcome, JobClaims } from "./worker/claims.ts";
export {
  decodeRequest,
  requestIdFor,
  requestTranscodes,
  TRANSCODE_TOPIC,
  type TranscodeRequest,
  WORKER_GROUP,
} from "./worker/request.ts";
export {
  TranscodeWorker,
  type WorkerMetrics,
  type WorkerOptions,
  type WorkerRecord,
  workerMetrics,
} from "./worker/worker.ts";
