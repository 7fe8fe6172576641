// Hermetic: the parsers of ffmpeg's analysis output, on stderr captured from ffmpeg 5.1 (Debian
// 12) running the pipeline's own commands (`analysisArgs`) on two generated clips:
// - sample.mp4 (10 s, 25 fps): testsrc2 0-2 s, black 2-3 s, negated testsrc2 3-5 s, that
//   picture held 5-7 s, testsrc2 7-10 s; a 997 Hz tone at 0.1 (-20 dBFS) silent 4-5.5 s;
// - end.mp4 (5.52 s): testsrc2 to 2.96 s, held to 4.52 s, then black to the end; the tone
//   silent from 4 s to the end of the audio (5.5 s).
// The expected values are the positions the clips were made with, as ffmpeg printed them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { reportOf } from "../../src/analysis/ffmpeg.ts";
import {
  parseBlackdetect,
  parseEbur128,
  parseFreezedetect,
  parseSceneScores,
  parseSilencedetect,
} from "../../src/analysis/parse.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", `${name}.stderr.txt`), "utf8");

describe("ffmpeg analysis output", () => {
  it("scene changes: the frame time and score of each frame select passed", () => {
    expect(parseSceneScores(fixture("scenes"))).toEqual([
      { at_ms: 2000, score: 1 },
      { at_ms: 3000, score: 1 },
      { at_ms: 7000, score: 0.9454 },
    ]);
  });

  it("blackdetect: start and end of each black stretch", () => {
    expect(parseBlackdetect(fixture("black"), { durationMs: 10_000, frameMs: 40 })).toEqual([
      { start_ms: 2000, end_ms: 3000 },
    ]);
  });

  it("blackdetect at the end: ffmpeg ends the stretch at the last frame's start (5.48 s); it lasts to the end", () => {
    expect(parseBlackdetect(fixture("black-at-end"))).toEqual([{ start_ms: 4520, end_ms: 5480 }]);
    expect(parseBlackdetect(fixture("black-at-end"), { durationMs: 5520, frameMs: 40 })).toEqual([
      { start_ms: 4520, end_ms: 5520 },
    ]);
  });

  it("freezedetect: a still picture is frozen, so the black second is too; the held picture from 5 to 7 s", () => {
    expect(parseFreezedetect(fixture("freeze"), { durationMs: 10_000, frameMs: 40 })).toEqual([
      { start_ms: 2000, end_ms: 3000 },
      { start_ms: 5000, end_ms: 7000 },
    ]);
  });

  it("freezedetect at the end: a freeze without freeze_end lasts to the end of the media", () => {
    expect(parseFreezedetect(fixture("freeze-at-end"), { durationMs: 5520, frameMs: 40 })).toEqual([
      { start_ms: 2960, end_ms: 4520 },
      { start_ms: 4520, end_ms: 5520 },
    ]);
    // Without the duration an open freeze cannot be closed: it is left out rather than guessed.
    expect(parseFreezedetect(fixture("freeze-at-end"))).toEqual([{ start_ms: 2960, end_ms: 4520 }]);
  });

  it("silencedetect: times rounded to the millisecond (5.50002 s is 5500 ms)", () => {
    expect(parseSilencedetect(fixture("silence"), { durationMs: 10_000 })).toEqual([{ start_ms: 4000, end_ms: 5500 }]);
    expect(parseSilencedetect(fixture("silence-at-end"), { durationMs: 5520 })).toEqual([
      { start_ms: 4001, end_ms: 5504 },
    ]);
  });

  it("ebur128: the summary's integrated loudness, gate, range and true peak", () => {
    expect(parseEbur128(fixture("loudness"))).toEqual({
      integrated_lufs: -23.2,
      threshold_lufs: -33.2,
      lra_lu: 3,
      lra_low_lufs: -26,
      lra_high_lufs: -23,
      true_peak_dbtp: -18.7,
    });
  });

  it("ebur128 on silence: -70 LUFS (every block gated out) and a true peak of -inf, which is null", () => {
    expect(parseEbur128(fixture("loudness-silent"))).toEqual({
      integrated_lufs: -70,
      threshold_lufs: 0,
      lra_lu: 0,
      lra_low_lufs: 0,
      lra_high_lufs: 0,
      true_peak_dbtp: null,
    });
  });

  it("output without the analysis lines finds nothing; ebur128 without a summary is undefined", () => {
    const header = fixture("black").split("\n").slice(0, 5).join("\n");
    expect(parseBlackdetect(header)).toEqual([]);
    expect(parseFreezedetect(header)).toEqual([]);
    expect(parseSilencedetect(header)).toEqual([]);
    expect(parseSceneScores(header)).toEqual([]);
    expect(parseEbur128(header)).toBeUndefined();
  });

  it("reportOf: the findings of each analysis, named and timed", () => {
    const media = { durationMs: 10_000, fps: 25 };
    expect(reportOf("black", fixture("black"), media)).toEqual({
      feature: "black",
      provider: "ffmpeg",
      findings: [{ name: "black", start_ms: 2000, end_ms: 3000 }],
    });
    expect(reportOf("scenes", fixture("scenes"), media).findings).toEqual([
      { name: "scene", start_ms: 2000, end_ms: 2000, score: 1 },
      { name: "scene", start_ms: 3000, end_ms: 3000, score: 1 },
      { name: "scene", start_ms: 7000, end_ms: 7000, score: 0.9454 },
    ]);
    expect(reportOf("loudness", fixture("loudness"), media)).toMatchObject({
      findings: [],
      loudness: { integrated_lufs: -23.2, true_peak_dbtp: -18.7 },
    });
    expect(() => reportOf("loudness", fixture("black"), media)).toThrow(
      expect.objectContaining({ code: "REELTIME_ERR_ANALYSIS" }),
    );
  });
});
