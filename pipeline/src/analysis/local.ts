import type { AnalysisFeature, AnalysisReport, AnalysisSource, AnalyzeOptions, ContentAnalysis } from "@reeltime/ports";
import { ReeltimeError } from "@reeltime/runtime";
import { cancelled } from "../errors.ts";
import { FFMPEG_ANALYSES, type FfmpegAnalysis, type FfmpegAnalysisEnv, runFfmpegAnalysis } from "./ffmpeg.ts";

const isFfmpegAnalysis = (f: AnalysisFeature): f is FfmpegAnalysis =>
  (FFMPEG_ANALYSES as readonly string[]).includes(f);

/**
 * The local adapter of the ContentAnalysis port: the analyses ffmpeg runs on a local file (scene
 * changes, black, frozen and silent stretches, loudness). Moderation, labels and faces need a
 * model: it refuses them (REELTIME_ERR_CONFIG), a provider adapter runs them.
 */
export function createLocalContentAnalysis(env: Omit<FfmpegAnalysisEnv, "signal">): ContentAnalysis {
  return {
    driver: "ffmpeg",
    features: FFMPEG_ANALYSES,
    start: async () => undefined,
    health: async () => ({ ok: true, driver: "ffmpeg", detail: env.ffmpeg }),
    shutdown: async () => undefined,
    async analyze(feature: AnalysisFeature, source: AnalysisSource, o: AnalyzeOptions = {}): Promise<AnalysisReport> {
      if (!isFfmpegAnalysis(feature))
        throw new ReeltimeError(
          "REELTIME_ERR_CONFIG",
          `the local content analysis (ffmpeg) cannot find ${feature}: it needs a model; set REELTIME_CONTENT_ANALYSIS=rekognition`,
        );
      if (!source.path)
        throw new ReeltimeError("REELTIME_ERR_CONFIG", "the local content analysis reads a local file: give its path");
      if (o.signal?.aborted) throw cancelled(`${feature} analysis not started: the job was cancelled`);
      return runFfmpegAnalysis(
        feature,
        source.path,
        { durationMs: source.durationMs, fps: source.fps },
        { ...env, ...(o.signal ? { signal: o.signal } : {}) },
      );
    },
  };
}
