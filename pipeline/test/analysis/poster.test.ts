// Hermetic: the poster choice — the middle of the longest stretch of a shot that is neither
// black nor frozen — with the expected times worked out by hand in each case.
import { describe, expect, it } from "vitest";
import { choosePoster, fallbackPosterMs, shots, subtract } from "../../src/analysis/poster.ts";

const cut = (...ms: number[]) => ms.map((at_ms) => ({ at_ms, score: 0.9 }));

describe("poster choice", () => {
  it("the proof clip: shots 0-2, 2-3 (black), 3-7 (frozen 5-7), 7-10 s: the poster is the middle of 7-10 s", () => {
    // Clean stretches: 0-2 (2 s), 3-5 (2 s), 7-10 (3 s); the longest is 7-10, its middle 8.5 s.
    expect(
      choosePoster({
        durationMs: 10_000,
        frameMs: 40,
        scenes: cut(2000, 3000, 7000),
        black: [{ start_ms: 2000, end_ms: 3000 }],
        freeze: [
          { start_ms: 2000, end_ms: 3000 },
          { start_ms: 5000, end_ms: 7000 },
        ],
      }),
    ).toEqual({ at_ms: 8500, stretch: { start_ms: 7000, end_ms: 10_000 }, reason: "clean_shot" });
  });

  it("a frozen stretch splits its shot; the longer clean part wins even when its shot is shorter than another's", () => {
    // Shot 0-10 s frozen 2-9 s leaves 0-2 and 9-10; shot 10-14 s is clean (4 s): poster at 12 s.
    expect(
      choosePoster({
        durationMs: 14_000,
        frameMs: 40,
        scenes: cut(10_000),
        black: [],
        freeze: [{ start_ms: 2000, end_ms: 9000 }],
      }),
    ).toMatchObject({ at_ms: 12_000, stretch: { start_ms: 10_000, end_ms: 14_000 } });
  });

  it("equally long clean stretches: the earliest", () => {
    expect(choosePoster({ durationMs: 8000, frameMs: 40, scenes: cut(4000), black: [], freeze: [] })).toMatchObject({
      at_ms: 2000,
      stretch: { start_ms: 0, end_ms: 4000 },
    });
  });

  it("a fade from black at the start and to black at the end are skipped", () => {
    // No cuts: black 0-1.5 s and 58.5-60 s; clean 1.5-58.5 s, middle 30 s.
    expect(
      choosePoster({
        durationMs: 60_000,
        frameMs: 1000 / 30,
        scenes: [],
        black: [
          { start_ms: 0, end_ms: 1500 },
          { start_ms: 58_500, end_ms: 60_000 },
        ],
        freeze: [],
      }),
    ).toMatchObject({ at_ms: 30_000, reason: "clean_shot" });
  });

  it("nothing clean (all black), or no duration: the fallback, 10 % in", () => {
    expect(
      choosePoster({
        durationMs: 20_000,
        frameMs: 40,
        scenes: [],
        black: [{ start_ms: 0, end_ms: 20_000 }],
        freeze: [],
      }),
    ).toEqual({ at_ms: 2000, reason: "fallback" });
    expect(choosePoster({ durationMs: undefined, frameMs: 40, scenes: [], black: [], freeze: [] })).toEqual({
      at_ms: 0,
      reason: "fallback",
    });
    // A clean stretch shorter than one frame is no candidate.
    expect(
      choosePoster({
        durationMs: 1000,
        frameMs: 40,
        scenes: [],
        black: [{ start_ms: 0, end_ms: 980 }],
        freeze: [],
      }),
    ).toEqual({ at_ms: 100, reason: "fallback" });
  });

  it("the fallback keeps 0.5 s before the end of a short clip", () => {
    expect(fallbackPosterMs(60_000)).toBe(6000);
    expect(fallbackPosterMs(3000)).toBe(300);
    expect(fallbackPosterMs(400)).toBe(0);
  });

  it("shots and subtraction", () => {
    expect(shots(10_000, cut(7000, 2000, 2000, 0, 10_000))).toEqual([
      { start_ms: 0, end_ms: 2000 },
      { start_ms: 2000, end_ms: 7000 },
      { start_ms: 7000, end_ms: 10_000 },
    ]);
    expect(
      subtract({ start_ms: 0, end_ms: 10_000 }, [
        { start_ms: 8000, end_ms: 12_000 },
        { start_ms: 1000, end_ms: 2000 },
        { start_ms: 1500, end_ms: 3000 },
      ]),
    ).toEqual([
      { start_ms: 0, end_ms: 1000 },
      { start_ms: 3000, end_ms: 8000 },
    ]);
  });
});
