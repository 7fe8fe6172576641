import type { PlaybackEvent } from "@reeltime/events";
import { syntheticEvents } from "@reeltime/testkit/workload";
import { describe, expect, it } from "vitest";
import { diffView, referenceView } from "../src/reference.ts";

const T0 = Date.parse("2026-11-22T10:00:00.000Z");
/** The playback events of view number `v` of the drill's workload (view v starts at T0 + 7v ms). */
function view(v: number): PlaybackEvent[] {
  const id = `drill-view-${v}`;
  return syntheticEvents(v + 1, { t0: T0 }).filter(
    (e): e is PlaybackEvent => e.event_type.startsWith("playback.") && (e as PlaybackEvent).view_id === id,
  );
}

describe("the drill's reference views (QOE.md by hand)", () => {
  it("view 0: startup 0.5 s, one 0.4 s stall at 5 s, ended at 30 s", () => {
    const r = referenceView(view(0));
    // playing 0.5→5 s and 5.4→30 s; stalled 5→5.4 s; startup wait 0→0.5 s.
    const playing = 4500 + 24_600;
    const ratio = 400 / (playing + 400);
    expect(r).toMatchObject({
      status: "ended",
      end_reason: "ended",
      reached_first_frame: true,
      startup_ms: 500,
      playing_ms: playing,
      rebuffer_ms: 400,
      rebuffer_count: 1,
      paused_ms: 0,
      watch_ms: 30_000,
      max_milestone: 10,
      ebvs: false,
      playback_success_score: 100,
      events: 7,
      last_seq: 6,
      ended_at: new Date(T0 + 30_000).toISOString(),
    });
    expect(r.rebuffer_ratio).toBeCloseTo(ratio, 12);
    expect(r.rebuffer_frequency).toBeCloseTo(1 / (playing / 60_000), 12);
    expect(r.startup_score).toBeCloseTo(800 / 8.5, 12);
    expect(r.smoothness_score).toBeCloseTo((100 / Math.sqrt(1.25) + 100 * Math.exp(-10 * ratio)) / 2, 12);
  });

  it("view 1: a 3 s pause is neither playing nor watch time; the SDK's own playing time counts", () => {
    const r = referenceView(view(1));
    // startup 0.8 s; playing 0.8→9 s and 12→30 s by the clock; paused 9→12 s. The view_end reports
    // 1 ms less media played (the workload's v % 37 ms of late frames), and that is the figure.
    expect(r).toMatchObject({ startup_ms: 800, playing_ms: 8200 + 18_000 - 1, paused_ms: 3000 });
    expect(r).toMatchObject({ watch_ms: 800 + 26_199 });
    expect(r).toMatchObject({ rebuffer_count: 0, rebuffer_ratio: 0, smoothness_score: 100 });
  });

  it("view 3: no end yet, so the view is active with its 1.6 s stall", () => {
    const r = referenceView(view(3));
    expect(r).toMatchObject({ status: "active", end_reason: undefined, ended_at: undefined });
    expect(r).toMatchObject({ startup_ms: 1400, rebuffer_ms: 1600, playing_ms: 3600 + 13_400 });
  });

  it("view 9: left after 2.5 s without a first frame, an exit before video start", () => {
    const r = referenceView(view(9));
    expect(r).toMatchObject({
      reached_first_frame: false,
      startup_ms: undefined,
      startup_score: undefined,
      ebvs: true,
      playback_success_score: 50,
      watch_ms: 2500,
      playing_ms: 0,
      end_reason: "page_hide",
    });
  });

  it("duplicates and delivery order change nothing", () => {
    const evs = view(0);
    expect(referenceView([...evs].reverse().concat(evs.slice(0, 3)))).toEqual(referenceView(evs));
  });
});

describe("diffView", () => {
  const expected = referenceView(view(0));
  it("names each field that differs, with both values", () => {
    const stored: Record<string, unknown> = { ...expected, events: 5, rebuffer_count: 0 };
    delete stored.ended_at;
    expect(diffView(expected, stored)).toEqual([
      { field: "ended_at", expected: expected.ended_at, actual: undefined },
      { field: "events", expected: 7, actual: 5 },
      { field: "rebuffer_count", expected: 1, actual: 0 },
    ]);
  });
  it("accepts numbers rounded by the store, a missing record is one difference", () => {
    const rounded = Math.round((expected.rebuffer_ratio as number) * 1e6) / 1e6;
    expect(diffView(expected, { ...expected, rebuffer_ratio: rounded })).toEqual([]);
    expect(diffView(expected, { ...expected, rebuffer_ratio: rounded + 0.01 })).toHaveLength(1);
    expect(diffView(expected, undefined)).toEqual([{ field: "(record)", expected: "a views record", actual: "none" }]);
  });
});
