// The pipeline's surface for other workspaces (the CLI, the dev server): what they import, nothing more.
// Tests import the modules they exercise directly.
export { AnalysisEnv } from "./analysis/settings.ts";
export { busDispatch } from "./chunked/job.ts";
export { ChunkEnv } from "./chunked/settings.ts";
export { liveCommand } from "./cli/live.ts";
export { transcodeCommand } from "./cli/transcode.ts";
export { watchCommand } from "./cli/watch.ts";
export { enqueueUploads, startWorkerService } from "./cli/worker.ts";
export { probe } from "./ffmpeg/probe.ts";
export { DEFAULT_LADDER } from "./ladder.ts";
export { LIVE_LADDER, type LiveRendition, liveFfmpegArgs } from "./live/command.ts";
export {
  DEFAULT_LIVE_WINDOW,
  type LiveProgress,
  type LiveStream,
  type StartLiveOptions,
  startLive,
} from "./live/live.ts";
export { checkLiveName, LIVE_NAME, liveKeys } from "./live/name.ts";
export { type LiveForTest, type LiveForTestOptions, startLiveForTest } from "./live/testing.ts";
export { TranscodePipeline, videoIdFromName } from "./pipeline.ts";
export { TranscodeWorker } from "./worker/worker.ts";
