// Hermetic: the analysis settings and what they refuse at start.
import { describe, expect, it } from "vitest";
import { loadAnalysisSettings } from "../../src/analysis/settings.ts";

describe("analysis settings", () => {
  it("defaults: the five ffmpeg analyses, local, EBU R128 (-23 ± 1 LUFS, -1 dBTP), no normalisation", () => {
    expect(loadAnalysisSettings({})).toEqual({
      analyses: ["scenes", "black", "freeze", "silence", "loudness"],
      provider: "local",
      minConfidence: 80,
      loudness: { integrated_lufs: -23, tolerance_lu: 1, max_true_peak_dbtp: -1 },
      loudnorm: false,
    });
  });

  it("a streaming target with decimals, normalisation on, a subset of analyses, or none", () => {
    const s = loadAnalysisSettings({
      REELTIME_ANALYSES: "loudness, black",
      REELTIME_LOUDNESS_TARGET_LUFS: "-14",
      REELTIME_LOUDNESS_TOLERANCE_LU: "0.5",
      REELTIME_LOUDNESS_MAX_TRUE_PEAK_DBTP: "-2",
      REELTIME_LOUDNORM: "true",
    });
    expect(s).toMatchObject({
      analyses: ["black", "loudness"],
      loudness: { integrated_lufs: -14, tolerance_lu: 0.5, max_true_peak_dbtp: -2 },
      loudnorm: true,
    });
    expect(loadAnalysisSettings({ REELTIME_ANALYSES: "none" }).analyses).toEqual([]);
  });

  it("moderation, labels and faces need Rekognition", () => {
    expect(() => loadAnalysisSettings({ REELTIME_ANALYSES: "black,moderation" })).toThrow(
      expect.objectContaining({
        code: "REELTIME_ERR_CONFIG",
        message: expect.stringContaining("REELTIME_CONTENT_ANALYSIS=rekognition"),
      }),
    );
    expect(
      loadAnalysisSettings({
        REELTIME_ANALYSES: "moderation,labels,faces,black",
        REELTIME_CONTENT_ANALYSIS: "rekognition",
      }),
    ).toMatchObject({ analyses: ["black", "moderation", "labels", "faces"], provider: "rekognition" });
  });

  it("refuses unknown analyses and targets out of range", () => {
    expect(() => loadAnalysisSettings({ REELTIME_ANALYSES: "black,transcript" })).toThrow(
      expect.objectContaining({ code: "REELTIME_ERR_CONFIG", message: expect.stringContaining("transcript") }),
    );
    expect(() => loadAnalysisSettings({ REELTIME_LOUDNESS_TARGET_LUFS: "-3" })).toThrow(
      expect.objectContaining({ code: "REELTIME_ERR_CONFIG" }),
    );
    expect(() => loadAnalysisSettings({ REELTIME_LOUDNESS_TARGET_LUFS: "loud" })).toThrow(
      expect.objectContaining({ code: "REELTIME_ERR_CONFIG" }),
    );
    expect(() => loadAnalysisSettings({ REELTIME_ANALYSIS_MIN_CONFIDENCE: "101" })).toThrow(
      expect.objectContaining({ code: "REELTIME_ERR_CONFIG" }),
    );
  });
});
