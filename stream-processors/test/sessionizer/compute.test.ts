import { validateEvent, validateRecord } from "@reeltime/events";
import { describe, expect, it } from "vitest";
import { computeView } from "../../src/sessionizer/compute.ts";
import { box1080, r480, r720, timeline } from "./timeline.ts";

const stats = { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 };
/** What the SDK reports at the end of the full view below: the times counted by hand. */
const fullStats = { playing_ms: 38_000, rebuffer_ms: 2000, rebuffer_count: 1 };

// A view with every kind of interval, computed by hand (see the comments for each figure).
const full = timeline([
  [0, "view_start"],
  [850, "startup_complete", { startup_ms: 850 }],
  [850, "rendition_switch", { rendition: r720, direction: "initial", display: box1080 }],
  [10_850, "rebuffer_start"],
  [12_850, "rebuffer_end", { duration_ms: 2000 }],
  [20_850, "pause"],
  [30_850, "play"],
  [30_850, "playing"],
  [40_850, "rendition_switch", { rendition: r480, from_rendition: r720, direction: "down" }],
  [45_000, "seek_start", { from_ms: 40_000, to_ms: 50_000 }],
  [45_000, "waiting"],
  [45_300, "seek_end", { from_ms: 40_000, to_ms: 50_000, latency_ms: 300 }],
  [45_300, "milestone", { percent: 25 }],
  [51_150, "view_end", { reason: "ended", stats: fullStats }],
]);

describe("computeView: a full view, by hand", () => {
  const v = computeView(full);

  it("is a valid views record", () => {
    expect(validateRecord("views", v)).toEqual([]);
    for (const e of full) expect(validateEvent(e).ok).toBe(true);
  });

  it("times: playing 10 s + 8 s + 10 s + 4.15 s + 5.85 s, rebuffering 2 s, paused 10 s, seeking 0.3 s", () => {
    expect(v.playing_ms).toBe(38_000);
    expect(v.rebuffer_ms).toBe(2000);
    expect(v.paused_ms).toBe(10_000);
    // watch = startup 850 + playing 38 000 + rebuffer 2000 + seeking 300
    expect(v.watch_ms).toBe(41_150);
    expect(v.seek_count).toBe(1);
    expect(v.seek_latency_ms).toBe(300);
  });

  it("startup: 850 ms, score 100 × 8 / 8.85", () => {
    expect(v.reached_first_frame).toBe(true);
    expect(v.startup_ms).toBe(850);
    expect(v.startup_score).toBeCloseTo(90.3955, 3);
  });

  it("rebuffering: one stall; the seek's waiting is not one", () => {
    expect(v.rebuffer_count).toBe(1);
    expect(v.rebuffer_ratio).toBeCloseTo(2000 / 40_000, 6);
    expect(v.rebuffer_frequency).toBeCloseTo(1 / (38_000 / 60_000), 5);
    // (100/√1.25 + 100·e^−0.5) / 2
    expect(v.smoothness_score).toBeCloseTo(75.0479, 3);
  });

  it("picture: time-weighted bitrate, switches, upscale and quality", () => {
    // 28 s at 2.8 Mb/s and 10 s at 1.4 Mb/s
    expect(v.avg_bitrate_bps).toBeCloseTo(2_431_578.95, 1);
    expect([v.rendition_switches, v.switches_up, v.switches_down]).toEqual([1, 0, 1]);
    // 720p in a 1920×1080 box = 0.5; 854×480 in it = 1920/854 − 1 = 1.24824
    expect(v.max_upscale).toBeCloseTo(1.248244, 5);
    expect(v.avg_upscale).toBeCloseTo((28_000 * 0.5 + 10_000 * 1.2482435597) / 38_000, 5);
    expect(v.quality_score).toBeCloseTo(77.3159, 3);
    expect(v.last_rendition).toBe("480p");
  });

  it("outcome: ended, played fine", () => {
    expect(v).toMatchObject({ status: "ended", end_reason: "ended", ebvs: false, playback_failure: false });
    expect(v.playback_success_score).toBe(100);
    expect(v.max_milestone).toBe(25);
    expect(v.events).toBe(full.length);
    expect(v.ended_at).toBe("2026-11-22T10:00:51.150Z");
  });

  it("the same events shuffled and duplicated give the same record", () => {
    const shuffled = [...full].reverse();
    shuffled.splice(3, 0, full[4]!, full[7]!);
    expect(computeView(shuffled)).toEqual(v);
  });
});

describe("computeView: outcomes", () => {
  it("exit before video start after 3 s of waiting is EBVS, scored 50", () => {
    const v = computeView(
      timeline([
        [0, "view_start"],
        [3000, "view_end", { reason: "page_hide", stats }],
      ]),
    );
    expect(v).toMatchObject({
      ebvs: true,
      reached_first_frame: false,
      playback_failure: false,
      playback_success_score: 50,
    });
    expect(v.startup_ms).toBeUndefined();
    expect(v.startup_score).toBeUndefined();
  });

  it("leaving within 1 s is not an exit before video start", () => {
    const v = computeView(
      timeline([
        [0, "view_start"],
        [600, "view_end", { reason: "page_hide", stats }],
      ]),
    );
    expect(v.ebvs).toBe(false);
    expect(v.playback_success_score).toBe(100);
  });

  it("a fatal error before the first frame is a startup failure, scored 0", () => {
    const fatal = { severity: "fatal", code: "MANIFEST_LOAD_ERROR", message: "404" };
    const v = computeView(
      timeline([
        [0, "view_start"],
        [2000, "error", { error: fatal }],
      ]),
    );
    expect(v).toMatchObject({
      status: "ended",
      end_reason: "error",
      startup_failure: true,
      playback_failure: true,
      ebvs: false,
      fatal_error_code: "MANIFEST_LOAD_ERROR",
      playback_success_score: 0,
    });
  });

  it("a fatal error after the first frame is a playback failure, not a startup failure", () => {
    const fatal = { severity: "fatal", code: "MEDIA_ERR_DECODE" };
    const v = computeView(
      timeline([
        [0, "view_start"],
        [500, "startup_complete", { startup_ms: 500 }],
        [5000, "error", { error: fatal }],
      ]),
    );
    expect([v.startup_failure, v.playback_failure, v.playing_ms]).toEqual([false, true, 4500]);
  });

  it("warnings and business errors are counted apart and never as failures", () => {
    const v = computeView(
      timeline([
        [0, "view_start"],
        [100, "error", { error: { severity: "non_fatal", code: "FRAG_LOAD_TIMEOUT" } }],
        [2000, "error", { error: { severity: "business", code: "GEO_BLOCKED" } }],
        [2500, "view_end", { reason: "destroy", stats }],
      ]),
    );
    expect([v.non_fatal_errors, v.business_errors, v.playback_failure, v.ebvs]).toEqual([1, 1, false, false]);
  });

  it("a silent view ends by timeout; an open one stays active", () => {
    const rows: [number, string, Record<string, unknown>?][] = [
      [0, "view_start"],
      [400, "startup_complete", { startup_ms: 400 }],
    ];
    expect(computeView(timeline(rows)).status).toBe("active");
    const v = computeView(timeline(rows), { timedOut: true });
    expect(v).toMatchObject({ status: "ended", end_reason: "timeout" });
    expect(Math.round(v.startup_score ?? 0)).toBe(95); // 0.4 s → 95
  });

  it("a heartbeat resyncs the state when a pause event was lost", () => {
    const v = computeView(
      timeline([
        [0, "view_start"],
        [1000, "startup_complete", { startup_ms: 1000 }],
        [11_000, "heartbeat", { state: "paused", stats: { ...stats, playing_ms: 10_000 } }],
        [41_000, "heartbeat", { state: "playing", stats: { ...stats, playing_ms: 10_000 } }],
        [51_000, "view_end", { reason: "ended", stats: { ...stats, playing_ms: 20_000 } }],
      ]),
    );
    expect([v.playing_ms, v.paused_ms]).toEqual([20_000, 30_000]);
  });
});

describe("computeView: playing and rebuffer time are the SDK's running totals", () => {
  // The SDK counts media played (the playhead's progress while playing), a little less than the
  // clock time between events when frames were late; the record takes its figures.
  const rows = (end: boolean): [number, string, Record<string, unknown>?][] => [
    [0, "view_start"],
    [1000, "startup_complete", { startup_ms: 1000 }],
    [5000, "rebuffer_start"],
    [6000, "rebuffer_end", { duration_ms: 1000 }],
    [31_000, "heartbeat", { state: "playing", stats: { playing_ms: 28_640, rebuffer_ms: 990, rebuffer_count: 1 } }],
    [41_000, "pause"],
    [
      51_000,
      ...(end
        ? ([
            "view_end",
            { reason: "ended", stats: { playing_ms: 38_560, rebuffer_ms: 990, rebuffer_count: 1 } },
          ] as const)
        : (["play"] as const)),
    ],
  ];

  it("the newest report wins over the clock time between events", () => {
    const v = computeView(timeline(rows(true)));
    // Clock time: playing 4 s + 25 s + 10 s = 39 s, rebuffering 1 s; the SDK reported 38.56 s and 0.99 s.
    expect([v.playing_ms, v.rebuffer_ms]).toEqual([38_560, 990]);
    expect(v.rebuffer_ratio).toBeCloseTo(990 / (38_560 + 990), 6);
    // watch = startup 1000 + playing + rebuffering
    expect(v.watch_ms).toBe(1000 + 38_560 + 990);
  });

  it("time after the last report is added from the timeline (its view_end lost)", () => {
    const v = computeView(timeline(rows(false)), { timedOut: true });
    // 28 640 ms reported at 31 s, then 10 s of playing until the pause at 41 s.
    expect([v.playing_ms, v.rebuffer_ms]).toEqual([38_640, 990]);
  });

  it("with no report at all, the timeline alone", () => {
    const v = computeView(timeline(rows(false).filter(([, t]) => t !== "heartbeat")), { timedOut: true });
    expect([v.playing_ms, v.rebuffer_ms]).toEqual([39_000, 1000]);
  });
});

describe("computeView: media_kind", () => {
  // An audio-only view: the SDK stamps media_kind on every event and sends no display, and its
  // renditions have a bitrate but no picture size.
  const a128 = { id: "aac-128k", bitrate_bps: 128_000, codecs: "mp4a.40.2" };
  const audio = timeline([
    [0, "view_start", { media_kind: "audio" }],
    [420, "startup_complete", { startup_ms: 420, media_kind: "audio" }],
    [420, "rendition_switch", { rendition: a128, direction: "initial", media_kind: "audio" }],
    [5420, "rebuffer_start", { media_kind: "audio" }],
    [7000, "rebuffer_end", { duration_ms: 1580, media_kind: "audio" }],
    [
      12_000,
      "view_end",
      { reason: "ended", stats: { playing_ms: 10_000, rebuffer_ms: 1580, rebuffer_count: 1 }, media_kind: "audio" },
    ],
  ]);

  it("an audio view's record says audio, with its startup, stall and bitrate, and no picture figures", () => {
    for (const e of audio) expect(validateEvent(e).ok).toBe(true);
    const v = computeView(audio);
    expect(validateRecord("views", v)).toEqual([]);
    expect(v).toMatchObject({
      media_kind: "audio",
      startup_ms: 420,
      rebuffer_count: 1,
      rebuffer_ms: 1580,
      playing_ms: 10_000,
      avg_bitrate_bps: 128_000,
      last_rendition: "aac-128k",
    });
    expect(v.avg_upscale).toBeUndefined();
    expect(v.max_upscale).toBeUndefined();
    expect(v.quality_score).toBeUndefined();
  });

  it("a view whose events name no kind (sent before audio views were tracked) is a video view", () => {
    expect(computeView(full).media_kind).toBe("video");
    const unnamed = audio.map((e) => {
      const { media_kind: _, ...rest } = e;
      return rest as typeof e;
    });
    expect(computeView(unnamed).media_kind).toBe("video");
  });

  it("the kind an event names is kept when later events name none", () => {
    const first = audio.map((e, i) => {
      if (i === 0) return e;
      const { media_kind: _, ...rest } = e;
      return rest as typeof e;
    });
    expect(computeView(first).media_kind).toBe("audio");
  });
});
