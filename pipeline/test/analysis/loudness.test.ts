// Hermetic: loudness against a target, and the loudnorm filter the normaliser builds from a
// measurement (the real normalisation is checked with ffmpeg in analysis.int.test.ts).
import { describe, expect, it } from "vitest";
import { EBU_R128, judgeLoudness, loudnormFilter } from "../../src/analysis/loudness.ts";
import type { Loudness } from "../../src/analysis/parse.ts";

const measured = (integrated: number | null, peak: number | null = -10): Loudness => ({
  integrated_lufs: integrated,
  threshold_lufs: integrated === null ? null : integrated - 10,
  lra_lu: 3,
  lra_low_lufs: null,
  lra_high_lufs: null,
  true_peak_dbtp: peak,
});
const streaming = { integrated_lufs: -14, tolerance_lu: 1, max_true_peak_dbtp: -1 };

describe("loudness against a target", () => {
  it("-23 LUFS ± 1: -24.0 and -22.0 pass, -24.1 is too quiet, -21.9 too loud", () => {
    expect(judgeLoudness(measured(-23.2), EBU_R128)).toEqual([]);
    expect(judgeLoudness(measured(-24.0), EBU_R128)).toEqual([]);
    expect(judgeLoudness(measured(-22.0), EBU_R128)).toEqual([]);
    expect(judgeLoudness(measured(-24.1), EBU_R128)).toEqual(["too_quiet"]);
    expect(judgeLoudness(measured(-21.9), EBU_R128)).toEqual(["too_loud"]);
  });

  it("the same audio against a streaming target of -14: too quiet", () => {
    expect(judgeLoudness(measured(-23.2), streaming)).toEqual(["too_quiet"]);
    expect(judgeLoudness(measured(-14.4), streaming)).toEqual([]);
  });

  it("a true peak above the maximum is flagged; silence (-70 LUFS, or none) is silent", () => {
    expect(judgeLoudness(measured(-23, -0.5), EBU_R128)).toEqual(["true_peak_over"]);
    expect(judgeLoudness(measured(-12, 0.3), EBU_R128)).toEqual(["too_loud", "true_peak_over"]);
    expect(judgeLoudness(measured(-70, null), EBU_R128)).toEqual(["silent"]);
    expect(judgeLoudness(measured(null, null), EBU_R128)).toEqual(["silent"]);
  });
});

describe("loudnormFilter", () => {
  it("loudnorm's second pass in linear mode from the measurement", () => {
    const sample = {
      integrated_lufs: -23.2,
      threshold_lufs: -33.2,
      lra_lu: 3,
      lra_low_lufs: -26,
      lra_high_lufs: -23,
      true_peak_dbtp: -18.7,
    };
    expect(loudnormFilter(sample, streaming)).toBe(
      "loudnorm=I=-14:TP=-1:LRA=11:measured_I=-23.2:measured_LRA=3:measured_TP=-18.7:measured_thresh=-33.2:linear=true:print_format=none",
    );
  });

  it("asks an LRA at least the measured one (up to 20), so linear mode is not refused for a wide range", () => {
    const wide = { ...measured(-30), lra_lu: 14.23 };
    expect(loudnormFilter(wide, EBU_R128)).toContain(":LRA=14.3:");
    expect(loudnormFilter({ ...wide, lra_lu: 31 }, EBU_R128)).toContain(":LRA=20:");
  });

  it("a steady tone measures a range of 0, which loudnorm reads as unmeasured: it is given as 0.01", () => {
    expect(loudnormFilter({ ...measured(-20), lra_lu: 0 }, EBU_R128)).toContain(":measured_LRA=0.01:");
  });

  it("silence is not normalised", () => {
    expect(loudnormFilter(measured(-70, null), EBU_R128)).toBeUndefined();
    expect(loudnormFilter(measured(null, null), EBU_R128)).toBeUndefined();
  });
});
