import type { AnalysisFeature, ContentAnalysis } from "@reeltime/ports";
import { ConnectionEnv, loadEnv, ReeltimeError } from "@reeltime/runtime";
import type { StepContext } from "../context.ts";
import type { StepRunner } from "../job/steps.ts";
import { type DetectOptions, FFMPEG_ANALYSES } from "./ffmpeg.ts";
import { createLocalContentAnalysis } from "./local.ts";
import { EBU_R128, type LoudnessTarget, loudnormFilter } from "./loudness.ts";
import { loadAnalysisSettings } from "./settings.ts";
import { type AnalysisRun, startAnalyses } from "./steps.ts";

/** The content analysis of a pipeline's jobs. Every field has a default: `{}` runs the five ffmpeg analyses. */
export interface PipelineAnalysis {
  /** Which analyses (default: scenes, black, freeze, silence, loudness). */
  analyses?: readonly AnalysisFeature[];
  /** Runs moderation, labels and faces (e.g. Rekognition); without it they are not run. */
  provider?: ContentAnalysis;
  /** The bucket a request's source key is in, for a provider that reads the video there. */
  bucket?: string;
  /** Default EBU R128: -23 LUFS ± 1, true peak -1 dBTP. */
  loudness?: LoudnessTarget;
  /** Lowest confidence (%) of a provider's finding (default 80). */
  minConfidence?: number;
  /** Normalise the audio renditions to the loudness target (default false). */
  loudnorm?: boolean;
  detect?: Partial<DetectOptions>;
}

/** One job's analyses, and the filter its audio renditions get when they are normalised. */
export interface JobAnalysis extends AnalysisRun {
  audioFilter?: string;
}

/**
 * Starts the analyses of one job (steps of their own; see startAnalyses). With `loudnorm` and a
 * loudness analysis on a source with audio, it resolves once the loudness is measured, with the
 * loudnorm filter for the renditions (none when the measurement failed or found silence);
 * otherwise at once.
 */
export async function analyseJob(
  ctx: StepContext,
  steps: StepRunner,
  o: PipelineAnalysis,
  job: { id: string; sourceKey?: string | undefined },
): Promise<JobAnalysis> {
  const local = createLocalContentAnalysis({
    run: ctx.run,
    ffmpeg: ctx.tools.ffmpeg,
    threads: ctx.threads,
    limiter: ctx.limiter,
    ...(o.detect ? { detect: o.detect } : {}),
  });
  const loudness = o.loudness ?? EBU_R128;
  const run = startAnalyses(
    ctx,
    steps,
    {
      analyses: o.analyses ?? FFMPEG_ANALYSES,
      local,
      provider: o.provider,
      loudness,
      minConfidence: o.minConfidence ?? 80,
    },
    { id: job.id, object: o.bucket && job.sourceKey ? { bucket: o.bucket, key: job.sourceKey } : undefined },
  );
  if (!o.loudnorm) return run;
  const measured = await run.loudness;
  const filter = measured ? loudnormFilter(measured, loudness) : undefined;
  return filter ? { ...run, audioFilter: filter } : run;
}

/**
 * The analysis settings of a pipeline process from its environment (`reeltime config` lists
 * them). With REELTIME_CONTENT_ANALYSIS=rekognition, the Rekognition adapter is loaded by name and
 * reads the uploads in REELTIME_S3_BUCKET, which needs REELTIME_ARCHIVE=s3.
 */
export async function analysisFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<PipelineAnalysis> {
  const s = loadAnalysisSettings(env);
  const out: PipelineAnalysis = {
    analyses: s.analyses,
    loudness: s.loudness,
    minConfidence: s.minConfidence,
    loudnorm: s.loudnorm,
  };
  if (s.provider !== "rekognition") return out;
  const conn = loadEnv(ConnectionEnv, env);
  if (conn.REELTIME_ARCHIVE !== "s3")
    throw new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      "REELTIME_CONTENT_ANALYSIS=rekognition analyses the uploads where Rekognition reads them, in S3: set REELTIME_ARCHIVE=s3",
    );
  let adapter: typeof import("@reeltime/analysis-rekognition");
  try {
    adapter = await import("@reeltime/analysis-rekognition");
  } catch (err) {
    throw new ReeltimeError(
      "REELTIME_ERR_NOT_INSTALLED",
      "REELTIME_CONTENT_ANALYSIS=rekognition needs @reeltime/analysis-rekognition, which this installation leaves out",
      { cause: err },
    );
  }
  return {
    ...out,
    provider: adapter.createRekognitionAnalysis({ AWS_REGION: conn.AWS_REGION }, { minConfidence: s.minConfidence }),
    bucket: conn.REELTIME_S3_BUCKET,
  };
}
