// Split planning, pure: where the serial encode puts keyframes and segments, and where chunks
// can start from a source's keyframe list.
import { describe, expect, it } from "vitest";
import {
  frameRate,
  keyframeTimes,
  planSplit,
  type SplitInput,
  segmentStarts,
  serialKeyframes,
  trackTimescale,
} from "../../src/chunked/plan.ts";

const every = (step: number, until: number) => Array.from({ length: Math.floor(until / step) + 1 }, (_, i) => i * step);

const input = (o: Partial<SplitInput> = {}): SplitInput => ({
  fps: 30,
  segmentSeconds: 4,
  gop: 120,
  durationSeconds: 120,
  videoStartSeconds: 0,
  keyframes: every(2, 120),
  chunkSeconds: 20,
  ...o,
});

describe("frame rates and timescales as ffmpeg makes them", () => {
  it("reduces three-decimal rates", () => {
    expect(frameRate(30)).toEqual({ num: 30, den: 1 });
    expect(frameRate(29.97)).toEqual({ num: 2997, den: 100 });
    expect(frameRate(23.976)).toEqual({ num: 2997, den: 125 });
    expect(frameRate(12.5)).toEqual({ num: 25, den: 2 });
  });

  it("gives the MP4 timescale ffmpeg gives an encoded track: 15360 at 30 fps, 11988 at 29.97", () => {
    expect(trackTimescale(frameRate(30))).toBe(15_360);
    expect(trackTimescale(frameRate(25))).toBe(12_800);
    expect(trackTimescale(frameRate(29.97))).toBe(11_988);
    expect(trackTimescale(frameRate(60))).toBe(15_360);
  });
});

describe("the serial encode's keyframes and segments", () => {
  it("30 fps, 4 s segments: a keyframe every 120 frames, each a segment start", () => {
    const { keyframes, forced } = serialKeyframes(600, frameRate(30), 4, 120);
    expect(keyframes).toEqual([0, 120, 240, 360, 480]);
    expect([...forced]).toEqual(keyframes);
    expect(segmentStarts(keyframes, frameRate(30), 4)).toEqual(keyframes);
  });

  it("29.97 fps: forced on the first frame at or past each 4 s (120, 240, …, 1079), x264 adds none (GOP 120)", () => {
    const rate = frameRate(29.97);
    const { keyframes } = serialKeyframes(1300, rate, 4, 120);
    // 4 s × 29.97 = 119.88 frames: ceil gives 120, 240, 360, 480, 600, 720, 840, 960, 1079 (1078.92), 1199 (1198.8).
    expect(keyframes).toEqual([0, 120, 240, 360, 480, 600, 720, 840, 960, 1079, 1199]);
    expect(segmentStarts(keyframes, rate, 4)).toEqual(keyframes);
  });

  it("x264 adds a keyframe when a GOP reaches its length before the next forced one; the segment waits for the forced one", () => {
    // 25 fps, 2 s segments, but a GOP of 40 frames: x264 cuts at 40, the forced ones are at 50, 100.
    const { keyframes, forced } = serialKeyframes(120, frameRate(25), 2, 40);
    expect(keyframes).toEqual([0, 40, 50, 90, 100]);
    expect([...forced]).toEqual([0, 50, 100]);
    expect(segmentStarts(keyframes, frameRate(25), 2)).toEqual([0, 50, 100]);
  });

  it("lists forced keyframes as times that round back to their frames", () => {
    expect(keyframeTimes([120, 240], frameRate(30))).toBe("4.000000,8.000000");
    expect(keyframeTimes([120, 1079], frameRate(29.97))).toBe("4.004004,36.002669");
  });
});

describe("planSplit", () => {
  it("2 min at 30 fps in 20 s chunks on a source keyed every 2 s: six chunks on source keyframes, pieces not overlapping at their start", () => {
    const plan = planSplit(input());
    expect(plan.chunks.map((c) => [c.firstFrame, c.endFrame])).toEqual([
      [0, 600],
      [600, 1200],
      [1200, 1800],
      [1800, 2400],
      [2400, 3000],
      [3000, undefined],
    ]);
    expect(plan.alignedBoundaries).toBe(5);
    expect(plan.chunks[1]).toMatchObject({ pieceFrom: 20, pieceTo: 42, forcedKeyframes: [120, 240, 360, 480] });
    expect(plan.chunks[0]!.pieceFrom).toBeUndefined();
    expect(plan.chunks[5]).toMatchObject({ pieceFrom: 100 });
    expect(plan.chunks[5]!.pieceTo).toBeUndefined();
    expect(plan.frames).toBe(3600);
  });

  it("rounds the chunk length to whole segments (22 s with 4 s segments: 24 s)", () => {
    const plan = planSplit(input({ chunkSeconds: 22 }));
    expect(plan.chunks.slice(0, 3).map((c) => c.firstFrame)).toEqual([0, 720, 1440]);
  });

  it("prefers a segment boundary on a source keyframe within a quarter chunk of the target", () => {
    // Source keyframes every 12 s: the 20 s target moves to 24 s (a keyframe, 4 s = 1/5 chunk away).
    const plan = planSplit(input({ keyframes: every(12, 120) }));
    expect(plan.chunks[1]!.firstFrame).toBe(720);
    expect(plan.chunks[1]!.pieceFrom).toBe(24);
    expect(plan.alignedBoundaries).toBeGreaterThan(0);
  });

  it("with no source keyframe near, keeps the target and starts the piece at the keyframe before", () => {
    const plan = planSplit(input({ keyframes: every(7, 120) }));
    expect(plan.chunks[1]!.firstFrame).toBe(600); // 20 s
    expect(plan.chunks[1]!.pieceFrom).toBe(14); // the keyframe at or before 20 s
    expect(plan.chunks[1]!.pieceTo).toBe(42); // the first at least 1 s past 40 s
  });

  it("joins a tail shorter than half a chunk to the chunk before", () => {
    const plan = planSplit(input({ durationSeconds: 108 }));
    expect(plan.chunks.map((c) => c.firstFrame)).toEqual([0, 600, 1200, 1800, 2400]);
    expect(plan.chunks.at(-1)!.endFrame).toBeUndefined();
  });

  it("one keyframe only (at the start): every piece starts at the start of the file", () => {
    const plan = planSplit(input({ keyframes: [0] }));
    expect(plan.chunks.length).toBe(6);
    for (const c of plan.chunks) expect(c.pieceFrom).toBeUndefined();
    expect(plan.alignedBoundaries).toBe(0);
  });

  it("a video starting late: the first output frame is the fps filter's slot of its start", () => {
    expect(planSplit(input({ videoStartSeconds: 0.52 })).firstSlot).toBe(16);
  });

  it("never makes more than maxChunks: longer chunks instead", () => {
    const plan = planSplit(input({ chunkSeconds: 4, maxChunks: 10 }));
    expect(plan.chunks.length).toBeLessThanOrEqual(10);
    expect(plan.chunks[1]!.firstFrame).toBe(360);
  });

  it("29.97 fps: chunks start on the serial encode's keyframes (not every 4 s is a whole frame)", () => {
    const plan = planSplit(
      input({ fps: 29.97, durationSeconds: 100, keyframes: every(2.5025, 100), chunkSeconds: 36 }),
    );
    const { keyframes } = serialKeyframes(plan.frames, plan.rate, 4, 120);
    for (const c of plan.chunks) expect(keyframes).toContain(c.firstFrame);
    expect(plan.chunks[1]!.firstFrame).toBe(1079);
    // Inside the chunk, keyframes forced on the same frames, counted from its start.
    expect(plan.chunks[1]!.forcedKeyframes.slice(0, 2)).toEqual([1199 - 1079, 1319 - 1079]);
  });

  it("refuses a chunk length that is not positive", () => {
    expect(() => planSplit(input({ chunkSeconds: 0 }))).toThrow(/chunk length/);
  });
});
