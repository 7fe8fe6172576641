import { describe, expect, it } from "vitest";
import { qualityScore, rebufferRatio, smoothnessScore, startupScore, upscale } from "../../src/sessionizer/scores.ts";

describe("QoE formulas (QOE.md examples)", () => {
  it("startup score: 0.4 s → 95, 2 s → 80, 8 s → 50", () => {
    expect(Math.round(startupScore(400))).toBe(95); // 95.24, which QOE.md rounds
    expect(startupScore(400)).toBeCloseTo(800 / 8.4, 9);
    expect(startupScore(2000)).toBeCloseTo(80, 9);
    expect(startupScore(8000)).toBeCloseTo(50, 9);
  });
  it("smoothness: 100 without stalls; two stalls and a 1 % ratio", () => {
    expect(smoothnessScore(0, 0)).toBe(100);
    expect(smoothnessScore(2, 0.01)).toBeCloseTo((100 / Math.SQRT2 + 100 * Math.exp(-0.1)) / 2, 9);
  });
  it("rebuffer ratio is rebuffer ÷ (playing + rebuffer)", () => {
    expect(rebufferRatio(1000, 9000)).toBe(0.1);
    expect(rebufferRatio(0, 0)).toBe(0);
  });
  it("upscale: 720p in a 1080p box is 0.5; downscaling is 0", () => {
    expect(upscale({ width: 1280, height: 720 }, { width: 1920, height: 1080, pixel_ratio: 1 })).toBeCloseTo(0.5, 9);
    expect(upscale({ width: 1280, height: 720 }, { width: 640, height: 360, pixel_ratio: 1 })).toBe(0);
    expect(upscale({}, { width: 640, height: 360, pixel_ratio: 1 })).toBeUndefined();
  });
  it("quality: 100 with no upscale; e^−0.33 at a constant 1.0", () => {
    expect(qualityScore(0, 0)).toBe(100);
    expect(qualityScore(1, 1)).toBeCloseTo(100 * Math.exp(-0.33), 9);
  });
});
