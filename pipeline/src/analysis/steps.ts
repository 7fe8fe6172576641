import type { AnalysisFeature, AnalysisReport, ContentAnalysis, LoudnessFigures } from "@reeltime/ports";
import { ReeltimeError } from "@reeltime/runtime";
import type { StepContext } from "../context.ts";
import type { JobFields } from "../job/reporter.ts";
import type { StepRunner } from "../job/steps.ts";
import { AUDIO_ANALYSES, FFMPEG_ANALYSES } from "./ffmpeg.ts";
import { judgeLoudness, type LoudnessTarget } from "./loudness.ts";
import type { Stretch } from "./parse.ts";
import { choosePoster, type PosterChoice } from "./poster.ts";

/** How a job analyses its video: which analyses, by whom, against which loudness target. */
export interface AnalysisConfig {
  analyses: readonly AnalysisFeature[];
  /** Runs the ffmpeg analyses (the local adapter). */
  local: ContentAnalysis;
  /** Runs moderation, labels and faces (e.g. Rekognition); without it they are not run. */
  provider?: ContentAnalysis | undefined;
  loudness: LoudnessTarget;
  /** Lowest confidence (%) a provider's finding needs. */
  minConfidence: number;
}

/** Where the video is for a provider that reads storage itself. */
export interface AnalysisObject {
  bucket: string;
  key: string;
  version?: string;
}

/** The analyses of one job, as they end. No promise here rejects: a failed analysis is left out. */
export interface AnalysisRun {
  /** The poster, once scenes, black and freeze ended (undefined when none of them ran). */
  poster: Promise<PosterChoice | undefined>;
  /** The loudness measurement (undefined when not run or failed). */
  loudness: Promise<LoudnessFigures | undefined>;
  /** Every report, once every analysis ended. */
  done: Promise<Map<AnalysisFeature, AnalysisReport>>;
}

type JobAnalysis = NonNullable<JobFields["analysis"]>;

/** The job event holds the first 200 findings of an analysis and up to 100 distinct names. */
export const MAX_EVENT_FINDINGS = 200;
const MAX_LABELS = 100;
const STRETCHES: readonly AnalysisFeature[] = ["black", "freeze", "silence"];

const text = (s: string) => s.slice(0, 256);
const lufs = (v: number | null | undefined) => (v === null || v === undefined ? undefined : Math.round(v * 10) / 10);

/** What an analysis found, as its job.step_completed carries it (`job.analysis`). */
export function jobAnalysisOf(r: AnalysisReport, target: LoudnessTarget): JobAnalysis {
  const out: JobAnalysis = { provider: text(r.provider), findings: r.findings.length };
  if (STRETCHES.includes(r.feature)) out.total_ms = r.findings.reduce((sum, f) => sum + (f.end_ms - f.start_ms), 0);
  if (r.findings.length > 0)
    out.items = r.findings.slice(0, MAX_EVENT_FINDINGS).map((f) => ({
      name: text(f.name),
      start_ms: f.start_ms,
      end_ms: f.end_ms,
      ...(f.confidence === undefined ? {} : { confidence: Math.min(100, Math.max(0, f.confidence)) }),
      ...(f.parent ? { parent: text(f.parent) } : {}),
      ...(f.score === undefined ? {} : { score: Math.min(1, Math.max(0, f.score)) }),
    }));
  if (r.feature === "moderation" || r.feature === "labels")
    out.labels = [...new Set(r.findings.map((f) => text(f.name)))].sort().slice(0, MAX_LABELS);
  if (r.loudness) {
    const l = r.loudness;
    const flags = judgeLoudness(l, target);
    const i = lufs(l.integrated_lufs);
    const lra = lufs(l.lra_lu);
    const tp = lufs(l.true_peak_dbtp);
    Object.assign(out, {
      ...(i === undefined ? {} : { integrated_lufs: i }),
      ...(lra === undefined ? {} : { loudness_range_lu: Math.max(0, lra) }),
      ...(tp === undefined ? {} : { true_peak_dbtp: tp }),
      target_lufs: target.integrated_lufs,
      loudness_flags: flags,
      loudness_ok: flags.length === 0,
    });
  }
  if (r.modelVersion) out.model_version = text(r.modelVersion);
  return out;
}

const stretchesOf = (r: AnalysisReport | undefined): Stretch[] =>
  (r?.findings ?? []).map((f) => ({ start_ms: f.start_ms, end_ms: f.end_ms }));

/**
 * Starts the analyses of one job as steps of their own (job.step_started/completed with what
 * each found, or step_failed): optional steps, so a failed analysis never fails the video. The
 * ffmpeg ones share the pipeline's ffmpeg slots with the encodes; the audio ones run only when
 * the source has audio; a provider's run on `object` (its bucket and key), when there is one.
 */
export function startAnalyses(
  ctx: Pick<StepContext, "sourcePath" | "info" | "signal">,
  steps: StepRunner,
  config: AnalysisConfig,
  job: { id: string; object?: AnalysisObject | undefined },
): AnalysisRun {
  const source = {
    path: ctx.sourcePath,
    ...(job.object ? { object: job.object } : {}),
    ...(ctx.info.durationMs === undefined ? {} : { durationMs: ctx.info.durationMs }),
    ...(ctx.info.video?.fps === undefined ? {} : { fps: ctx.info.video.fps }),
  };
  const reports = new Map<AnalysisFeature, AnalysisReport>();
  const runs = new Map<AnalysisFeature, Promise<AnalysisReport | undefined>>();
  for (const feature of config.analyses) {
    const local = (FFMPEG_ANALYSES as readonly string[]).includes(feature);
    const adapter = local ? config.local : config.provider;
    if (!adapter || (AUDIO_ANALYSES.includes(feature as never) && !ctx.info.audio)) continue;
    const options = {
      signal: ctx.signal,
      tag: job.id,
      ...(local ? {} : { minConfidence: config.minConfidence }),
    };
    const run = steps
      .run(
        { step: feature },
        () => adapter.analyze(feature, source, options),
        (r) => ({ analysis: jobAnalysisOf(r, config.loudness) }),
        // ffmpeg failing and a provider throttling are worth another attempt; a refusal is not.
        { optional: true, retryable: (err) => !(err instanceof ReeltimeError) || err.retryable },
      )
      .then(
        (r) => {
          reports.set(feature, r);
          return r;
        },
        () => undefined,
      );
    runs.set(feature, run);
  }
  const visual = ["scenes", "black", "freeze"].filter((f) => runs.has(f as AnalysisFeature)) as AnalysisFeature[];
  const poster =
    visual.length === 0
      ? Promise.resolve(undefined)
      : Promise.all(visual.map((f) => runs.get(f)!)).then(() =>
          choosePoster({
            durationMs: ctx.info.durationMs,
            frameMs: ctx.info.video?.fps ? 1000 / ctx.info.video.fps : 40,
            scenes: (reports.get("scenes")?.findings ?? []).map((f) => ({ at_ms: f.start_ms, score: f.score ?? 1 })),
            black: stretchesOf(reports.get("black")),
            freeze: stretchesOf(reports.get("freeze")),
          }),
        );
  return {
    poster,
    loudness: (runs.get("loudness") ?? Promise.resolve(undefined)).then((r) => r?.loudness),
    done: Promise.all(runs.values()).then(() => reports),
  };
}
