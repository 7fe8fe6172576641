import type { Lifecycle } from "./common.ts";

/**
 * What a content analysis looks for. The first five are measured on the media itself (ffmpeg):
 * scene changes, black, frozen and silent stretches, loudness. The last three need a model:
 * moderation (unsafe content by category), labels (objects, scenes, activities) and faces.
 */
export type AnalysisFeature =
  | "scenes"
  | "black"
  | "freeze"
  | "silence"
  | "loudness"
  | "moderation"
  | "labels"
  | "faces";

/**
 * The video to analyse. An adapter that runs on this machine reads `path`; one that reads
 * storage itself (Rekognition reads S3) takes `object`. An adapter given neither that it can
 * use refuses with REELTIME_ERR_CONFIG.
 */
export interface AnalysisSource {
  /** A local file. */
  path?: string;
  /** The object in a bucket: its key, and its version when the bucket keeps versions. */
  object?: { bucket: string; key: string; version?: string };
  /** The media's duration, when known: closes stretches still open at the end. */
  durationMs?: number;
  /** Frames per second, when known (video analyses): one frame is the time resolution. */
  fps?: number;
}

/** One thing found, and where: [start_ms, end_ms) from the start of the video; start = end for an instant. */
export interface TimedFinding {
  /** black, freeze, silence, scene, face, or the provider's label ("Dog", "Graphic Violence"). */
  name: string;
  start_ms: number;
  end_ms: number;
  /** The provider's confidence, 0-100. */
  confidence?: number;
  /** The label's parent in the provider's taxonomy (a moderation label's top category). */
  parent?: string;
  /** A measure of the finding: ffmpeg's scene score (0-1) of a scene change. */
  score?: number;
}

/** The EBU R128 measurement of the whole audio; a figure that is -inf (silence) is null. */
export interface LoudnessFigures {
  integrated_lufs: number | null;
  /** The relative gate of the integrated measurement (loudnorm's measured_thresh). */
  threshold_lufs: number | null;
  lra_lu: number | null;
  lra_low_lufs: number | null;
  lra_high_lufs: number | null;
  true_peak_dbtp: number | null;
}

/** What one analysis found. */
export interface AnalysisReport {
  feature: AnalysisFeature;
  /** The adapter's driver, e.g. "ffmpeg", "rekognition". */
  provider: string;
  /** In time order. */
  findings: TimedFinding[];
  /** Loudness only. */
  loudness?: LoudnessFigures;
  /** The provider's model version, when it names one. */
  modelVersion?: string;
}

export interface AnalyzeOptions {
  signal?: AbortSignal;
  /** Findings below this confidence (0-100) are left out by providers that score them. */
  minConfidence?: number;
  /** A tag the provider keeps with its job (Rekognition's JobTag): the job id, to find it again. */
  tag?: string;
}

/**
 * Content analysis: finds what is in a video and where. Each call runs one analysis to the end
 * (an asynchronous provider is started, polled and paged inside it) and returns its findings
 * with their times. Errors are ReeltimeErrors: `REELTIME_ERR_ANALYSIS_UNAVAILABLE` (throttled,
 * unreachable: retryable), `REELTIME_ERR_ANALYSIS` (the provider refused the request, or its
 * analysis failed), `REELTIME_ERR_CONFIG` (a feature or source this adapter cannot take),
 * `REELTIME_ERR_CANCELLED` (the signal fired).
 */
export interface ContentAnalysis extends Lifecycle {
  readonly driver: string;
  /** The analyses this adapter can run. */
  readonly features: readonly AnalysisFeature[];
  analyze(feature: AnalysisFeature, source: AnalysisSource, options?: AnalyzeOptions): Promise<AnalysisReport>;
}
