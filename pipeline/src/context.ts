import type { Archive } from "@reeltime/connectors";
import type { MediaInfo } from "./ffmpeg/probe.ts";
import type { ToolRunner } from "./ffmpeg/run.ts";
import type { mediaKeys } from "./job/keys.ts";
import type { Limiter } from "./job/limit.ts";
import type { JobReporter } from "./job/reporter.ts";
import type { SegmentFormat } from "./ladder.ts";

/** What every step of one job works with. */
export interface StepContext {
  run: ToolRunner;
  tools: { ffmpeg: string; ffprobe: string };
  /** Bounds ffmpeg processes across the whole pipeline. */
  limiter: Limiter;
  /** `-threads` for each ffmpeg process. */
  threads: number;
  /** x264 preset (speed against size). */
  preset: string;
  segmentSeconds: number;
  /** CMAF (fragmented MP4, HLS and DASH) or MPEG-TS (HLS only). */
  segmentFormat: SegmentFormat;
  sourcePath: string;
  info: MediaInfo;
  /** An `-af` filter for the audio renditions: the loudness normaliser (analysis/loudness.ts), when on. */
  audioFilter?: string;
  /** Scratch directory of this job; removed when the job ends. */
  workDir: string;
  archive: Archive;
  keys: ReturnType<typeof mediaKeys>;
  reporter: JobReporter;
  signal: AbortSignal;
}
