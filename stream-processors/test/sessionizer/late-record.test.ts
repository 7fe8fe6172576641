// The monotonic rules for events reaching a view that left memory (only its stored record is
// left), against a view counted by hand.
import { describe, expect, it } from "vitest";
import { computeView } from "../../src/sessionizer/compute.ts";
import { lateOnRecord } from "../../src/sessionizer/late-record.ts";
import { timeline } from "./timeline.ts";

// Playing from 1 s to 5 s and 7 s to 13 s, one stall of 2 s, ended at 13 s: seq 0..4. The SDK's
// totals at the end say the same.
const stats = { playing_ms: 10_000, rebuffer_ms: 2000, rebuffer_count: 1 };
const rows: [number, string, Record<string, unknown>?][] = [
  [0, "view_start"],
  [1000, "startup_complete", { startup_ms: 1000 }],
  [5000, "rebuffer_start"],
  [7000, "rebuffer_end", { duration_ms: 2000 }],
  [13_000, "view_end", { reason: "ended", stats }],
];
const record = computeView(timeline(rows, "late-rules"));
const extra = (seq: number, short: string, fields: Record<string, unknown> = {}) => ({
  ...timeline([[20_000, short, fields]], "late-rules")[0]!,
  seq,
});

describe("late events on a stored record", () => {
  it("the record is as counted by hand", () => {
    expect(record).toMatchObject({ events: 5, last_seq: 4, playing_ms: 10_000, rebuffer_count: 1, status: "ended" });
  });

  it("an event already counted (numbered within a complete record) changes nothing", () => {
    expect(lateOnRecord(record, extra(2, "rebuffer_start"), { duplicateBelowLastSeq: true })).toBe(record);
  });

  it("events after the end count, durations and the end stay; a stall after the end is none", () => {
    let v = lateOnRecord(record, extra(5, "heartbeat", { state: "playing", stats: { ...stats, dropped_frames: 7 } }), {
      duplicateBelowLastSeq: true,
    });
    v = lateOnRecord(v, extra(6, "rebuffer_start"), { duplicateBelowLastSeq: true });
    v = lateOnRecord(v, extra(7, "error", { error: { severity: "non_fatal", code: "FRAG_LOAD_TIMEOUT" } }), {
      duplicateBelowLastSeq: true,
    });
    v = lateOnRecord(v, extra(8, "milestone", { percent: 50 }), { duplicateBelowLastSeq: true });
    expect(v).toMatchObject({
      events: 9,
      last_seq: 8,
      dropped_frames: 7,
      rebuffer_count: 1,
      non_fatal_errors: 1,
      max_milestone: 50,
      playing_ms: 10_000,
      rebuffer_ms: 2000,
      status: "ended",
      ended_at: record.ended_at,
    });
  });

  it("a fatal error arriving late makes the view a playback failure, scored 0", () => {
    const v = lateOnRecord(record, extra(5, "error", { error: { severity: "fatal", code: "MEDIA_ERR_DECODE" } }), {
      duplicateBelowLastSeq: true,
    });
    expect(v).toMatchObject({
      playback_failure: true,
      startup_failure: false,
      fatal_error_code: "MEDIA_ERR_DECODE",
      playback_success_score: 0,
    });
  });
});
