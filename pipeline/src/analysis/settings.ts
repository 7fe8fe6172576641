import type { AnalysisFeature } from "@reeltime/ports";
import { loadEnv, ReeltimeError } from "@reeltime/runtime";
import { type Static, Type } from "@sinclair/typebox";
import { FFMPEG_ANALYSES } from "./ffmpeg.ts";
import type { LoudnessTarget } from "./loudness.ts";

const DECIMAL = "^-?[0-9]+(\\.[0-9]+)?$";
const PROVIDER_ANALYSES = ["moderation", "labels", "faces"] as const;
const ALL: readonly AnalysisFeature[] = [...FFMPEG_ANALYSES, ...PROVIDER_ANALYSES];

/** The pipeline's content analysis settings (a section of `reeltime config`). */
export const AnalysisEnv = Type.Object({
  REELTIME_ANALYSES: Type.String({
    default: FFMPEG_ANALYSES.join(","),
    description:
      "content analyses each job runs as steps, comma-separated: scenes, black, freeze, silence, loudness (ffmpeg); moderation, labels, faces (need REELTIME_CONTENT_ANALYSIS=rekognition); none: no analysis",
  }),
  REELTIME_CONTENT_ANALYSIS: Type.Unsafe<"local" | "rekognition">({
    type: "string",
    enum: ["local", "rekognition"],
    default: "local",
    description:
      "who runs moderation, labels and faces: local (ffmpeg only, none of them) or rekognition (Amazon Rekognition Video on the upload in S3: REELTIME_S3_BUCKET, AWS_REGION)",
  }),
  REELTIME_ANALYSIS_MIN_CONFIDENCE: Type.Integer({
    default: 80,
    minimum: 0,
    maximum: 100,
    description: "lowest confidence (%) of a moderation label, label or face that is kept",
  }),
  REELTIME_LOUDNESS_TARGET_LUFS: Type.String({
    default: "-23",
    pattern: DECIMAL,
    description: "integrated loudness the audio should have, LUFS (EBU R128: -23; streaming: -14); -70 to -5",
  }),
  REELTIME_LOUDNESS_TOLERANCE_LU: Type.String({
    default: "1",
    pattern: DECIMAL,
    description: "how far from the target still passes, LU; further is flagged too_quiet or too_loud",
  }),
  REELTIME_LOUDNESS_MAX_TRUE_PEAK_DBTP: Type.String({
    default: "-1",
    pattern: DECIMAL,
    description: "highest true peak that passes, dBTP; above is flagged true_peak_over (-9 to 0)",
  }),
  REELTIME_LOUDNORM: Type.Boolean({
    default: false,
    description:
      "normalise the audio renditions to the loudness target (loudnorm, linear, from the loudness step's measurement; the renditions then start after that step)",
  }),
});
export type AnalysisEnv = Static<typeof AnalysisEnv>;

export interface AnalysisSettings {
  analyses: AnalysisFeature[];
  provider: "local" | "rekognition";
  minConfidence: number;
  loudness: LoudnessTarget;
  loudnorm: boolean;
}

function inRange(name: string, raw: string, lo: number, hi: number): number {
  const v = Number(raw);
  if (!(v >= lo && v <= hi))
    throw new ReeltimeError("REELTIME_ERR_CONFIG", `${name}=${JSON.stringify(raw)} is out of range: ${lo} to ${hi}`);
  return v;
}

/** Reads and checks the analysis settings; an analysis the chosen adapters cannot run is refused at start. */
export function loadAnalysisSettings(source: NodeJS.ProcessEnv = process.env): AnalysisSettings {
  const env = loadEnv(AnalysisEnv, source);
  const list = env.REELTIME_ANALYSES.trim().toLowerCase();
  const names = list === "none" || list === "" ? [] : [...new Set(list.split(",").map((s) => s.trim()))];
  const unknown = names.filter((n) => !(ALL as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      `REELTIME_ANALYSES names ${unknown.join(", ")}: expected some of ${ALL.join(", ")}, or none`,
    );
  const needModel = names.filter((n) => (PROVIDER_ANALYSES as readonly string[]).includes(n));
  if (needModel.length > 0 && env.REELTIME_CONTENT_ANALYSIS === "local")
    throw new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      `REELTIME_ANALYSES asks for ${needModel.join(", ")}, which ffmpeg cannot find: set REELTIME_CONTENT_ANALYSIS=rekognition or leave them out`,
    );
  return {
    analyses: ALL.filter((a) => names.includes(a)),
    provider: env.REELTIME_CONTENT_ANALYSIS,
    minConfidence: env.REELTIME_ANALYSIS_MIN_CONFIDENCE,
    loudness: {
      integrated_lufs: inRange("REELTIME_LOUDNESS_TARGET_LUFS", env.REELTIME_LOUDNESS_TARGET_LUFS, -70, -5),
      tolerance_lu: inRange("REELTIME_LOUDNESS_TOLERANCE_LU", env.REELTIME_LOUDNESS_TOLERANCE_LU, 0, 20),
      max_true_peak_dbtp: inRange(
        "REELTIME_LOUDNESS_MAX_TRUE_PEAK_DBTP",
        env.REELTIME_LOUDNESS_MAX_TRUE_PEAK_DBTP,
        -9,
        0,
      ),
    },
    loudnorm: env.REELTIME_LOUDNORM,
  };
}
