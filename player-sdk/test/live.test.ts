// Live views (issue 21): latency = wall clock − program date time at the playhead, edge distance,
// behind live (beyond the target latency), catch-up (time and count above rate 1), and live
// rebuffering counted as VOD's. Hermetic: a fake hls.js and fake timers; every expected figure is
// worked out by hand in the comments.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { hlsPlugin } from "../src/hls/hls-plugin.ts";
import { LiveMeter, MAX_SAMPLES, median } from "../src/hls/live.ts";
import { FakeHls, FakeMedia, ofType, setup } from "./fakes.ts";

const T0 = Date.parse("2026-11-22T10:00:00.000Z");

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date(T0));
});
afterEach(() => {
  vi.useRealTimers();
});

describe("LiveMeter (the figures from hls.js readings)", () => {
  it("latency = wall − PDT at the playhead; edge = hls.latency; behind = edge − target, not below 0", () => {
    const h: { playingDate: Date | null; latency: number; targetLatency: number | null } = {
      playingDate: new Date(1_000_000),
      latency: 6.5,
      targetLatency: 6,
    };
    const m = new LiveMeter(h);
    expect(m.now(1_007_250)).toEqual({ latency: 7250, edge: 6500, target: 6000, behind: 500 });
    h.latency = 5.5;
    expect(m.now(1_007_250)).toMatchObject({ edge: 5500, behind: 0 });
    // Before the first playlist hls.js says 0 and null: nothing is known but the latency.
    h.latency = 0;
    h.targetLatency = null;
    expect(m.now(1_007_250)).toEqual({ latency: 7250 });
    h.playingDate = null;
    expect(m.now(1_007_250)).toEqual({});
  });

  it("a client clock behind the encoder's gives a negative latency; an absurd date is clamped to the contract", () => {
    const h = { playingDate: new Date(2_000_300), latency: 6, targetLatency: 6 };
    const m = new LiveMeter(h);
    expect(m.figures(2_000_000).latency_ms).toBe(-300);
    h.playingDate = new Date(0);
    expect(m.figures(Date.parse("2026-11-22T10:00:00Z")).latency_ms).toBe(2_147_483_647);
  });

  it("samples at most once a second; the median of the samples; the most behind live of the samples", () => {
    const h = { playingDate: new Date(0), latency: 6, targetLatency: 6 };
    const m = new LiveMeter(h);
    const at = (wall: number, latencyMs: number, edgeS: number) => {
      h.playingDate = new Date(wall - latencyMs);
      h.latency = edgeS;
      m.sample(wall);
    };
    at(10_000, 7000, 6.2); // kept (first)
    at(10_400, 1000, 9.0); // 400 ms later: dropped (and its 3 s behind live with it)
    at(11_000, 7400, 6.0); // kept
    at(11_999, 1000, 9.0); // 999 ms later: dropped
    at(12_000, 6800, 7.1); // kept
    // 6800, 7000, 7400 → 7000; behind: 200, 0, 1100 → 1100.
    expect(m.figures(12_000)).toMatchObject({ latency_p50_ms: 7000, max_behind_live_ms: 1100 });
    at(13_000, 9000, 6.0);
    // 6800, 7000, 7400, 9000 → (7000 + 7400) / 2.
    expect(m.figures(13_000).latency_p50_ms).toBe(7200);
    expect(median([])).toBeUndefined();
  });

  it("past MAX_SAMPLES keeps every other sample and samples half as often", () => {
    const h = { playingDate: new Date(0), latency: 0, targetLatency: null };
    const m = new LiveMeter(h);
    // Latencies 1..MAX_SAMPLES, one a second; then the next kept sample is 2 s after the last.
    for (let i = 1; i <= MAX_SAMPLES; i++) {
      h.playingDate = new Date(i * 1000 - i);
      m.sample(i * 1000);
    }
    // Kept: the even latencies 2, 4, …, MAX_SAMPLES: median (900 + 902) / 2 = 901.
    expect(m.figures(MAX_SAMPLES * 1000).latency_p50_ms).toBe(901);
    h.playingDate = new Date((MAX_SAMPLES + 1) * 1000 - 100_000);
    m.sample((MAX_SAMPLES + 1) * 1000); // 1 s after the last: dropped
    expect(m.figures(0).latency_p50_ms).toBe(901);
    h.playingDate = new Date((MAX_SAMPLES + 2) * 1000 - 100_000);
    m.sample((MAX_SAMPLES + 2) * 1000); // 2 s after: kept; 901 samples, the middle one is 902
    expect(m.figures(0).latency_p50_ms).toBe(902);
  });

  it("counts a catch-up each time the rate rises above 1", () => {
    const m = new LiveMeter({});
    for (const r of [1, 1.5, 1.25, 1, 2, 2, 0.5, 1.1]) m.rate(r);
    expect(m.figures(0)).toEqual({ max_behind_live_ms: 0, catchup_count: 3 });
  });
});

/**
 * A live HLS stream as hls.js shows it: media time 0 was produced at E0 (its program date time),
 * the live edge is 3 s behind the wall clock (encoder and packaging), the target latency is 6 s.
 * So latency = wall − E0 − currentTime, and edge distance = latency − 3 s.
 */
const E0 = T0 - 9000;
function liveHls(media: FakeMedia) {
  const hls = new FakeHls();
  Object.defineProperties(hls, {
    playingDate: { get: () => new Date(E0 + media.currentTime * 1000) },
    latency: { get: () => (Date.now() - E0) / 1000 - 3 - media.currentTime },
    targetLatency: { get: () => 6 },
  });
  return hls;
}
const levelLoaded = (live: boolean) => ({
  level: 0,
  details: { live, url: "https://cdn.test/live/0/index.m3u8" },
  stats: { loaded: 500, retry: 0, loading: { start: 1, first: 2, end: 3 } },
});

/** Plays `ms` of wall time in 250 ms steps at the element's rate, with a timeupdate per step. */
function run(media: FakeMedia, ms: number) {
  for (let t = 0; t < ms; t += 250) {
    vi.advanceTimersByTime(250);
    media.at(media.currentTime + 0.25 * media.playbackRate);
  }
}

/**
 * The same play-through for a live or an on-demand source: startup 500 ms, 2 s at rate 1, 6 s at
 * rate 1.5, a 1 s stall (rate still 1.5), back to rate 1 for 2 s, then the tracker is destroyed.
 */
async function playThrough(live: boolean) {
  const s = setup({ plugins: [hlsPlugin({ version: "1.7.4" })] });
  const media = new FakeMedia();
  media.currentSrc = "blob:https://shop.test/live";
  media.duration = 30; // hls.js gives a live stream the window's duration (liveDurationInfinity off)
  const hls = liveHls(media);
  const att = s.tracker.attach(media.asElement(), { video: { id: "news-24" }, hls });
  hls.emit("hlsLevelLoaded", levelLoaded(live));
  media.play();
  vi.advanceTimersByTime(500);
  media.fire("playing");
  run(media, 2000); // wall 2500, media 2
  media.rate(1.5);
  run(media, 6000); // wall 8500, media 11: latency 9500 − 0.5 × 6000 = 6500
  media.fire("waiting");
  vi.advanceTimersByTime(1000); // wall 9500, media 11: latency 7500
  media.fire("playing");
  media.rate(1);
  run(media, 2000); // wall 11 500, media 13: latency 7500
  const metrics = att.metrics()!;
  await s.tracker.destroy();
  return { events: s.received(), metrics };
}

describe("live views through the hls.js plugin", () => {
  it("marks the stream live and reports latency, edge distance, behind live and catch-up on heartbeats and view_end", async () => {
    const { events } = await playThrough(true);
    expect(
      events.filter((e) => e.event_type.startsWith("playback.")).every((e) => e.video?.stream_type === "live"),
    ).toBe(true);
    // The window's 30 s is not the content's duration: no duration_ms, no completion milestones.
    expect(events.some((e) => e.video?.duration_ms !== undefined)).toBe(false);
    expect(ofType(events, "playback.milestone")).toEqual([]);

    // The heartbeat at 10 000 ms (before that step's timeupdate): media 11.25 s, so latency
    // 10 000 + 9000 − 11 250 = 7750, edge 4750, behind 0 (target 6000); catch-up the 6 s at 1.5.
    const [hb] = ofType(events, "playback.heartbeat");
    expect(hb!.live).toMatchObject({
      latency_ms: 7750,
      edge_distance_ms: 4750,
      target_latency_ms: 6000,
      behind_live_ms: 0,
      catchup_ms: 6000,
      catchup_count: 1,
    });

    // Samples (one a second from the first timeupdate at 750 ms): 9500 at 750 and 1750; during
    // the catch-up 9500 − 0.5 × (wall − 2500) at 2750…7750 → 9375, 8875, 8375, 7875, 7375, 6875;
    // after the stall 7500 at 9750 and 10 750. Sorted, the middle two are 7875 and 8375 → 8125.
    // Most behind live: 9500 − 3000 − 6000 = 500 (first samples). At the end: 7500, edge 4500.
    const [end] = ofType(events, "playback.view_end");
    expect(end!.live).toEqual({
      latency_ms: 7500,
      latency_p50_ms: 8125,
      edge_distance_ms: 4500,
      target_latency_ms: 6000,
      behind_live_ms: 0,
      max_behind_live_ms: 500,
      catchup_ms: 6000, // the 1 s stall at rate 1.5 is not catch-up
      catchup_count: 1,
    });
  });

  it("counts live rebuffering exactly as on demand (one stall of 1000 ms, the same playing time)", async () => {
    const live = await playThrough(true);
    const vod = await playThrough(false);
    const stallOf = (r: typeof live) => ofType(r.events, "playback.rebuffer_end").map((e) => e.duration_ms);
    expect(stallOf(live)).toEqual([1000]);
    expect(stallOf(vod)).toEqual([1000]);
    const figures = ({ metrics: m }: typeof live) => [m.rebufferCount, m.rebufferMs, m.playingMs, m.startupMs];
    // Playing: 2000 + 6000 + 2000 ms of clock (the 1.5 × media is capped by the clock).
    expect(figures(live)).toEqual([1, 1000, 10_000, 500]);
    expect(figures(vod)).toEqual(figures(live));
    const [end] = ofType(live.events, "playback.view_end");
    expect(end!.stats).toMatchObject({ rebuffer_count: 1, rebuffer_ms: 1000, playing_ms: 10_000 });
  });

  it("an on-demand source carries no live figures and no stream type (absent means vod)", async () => {
    const { events } = await playThrough(false);
    expect(events.some((e) => "live" in e)).toBe(false);
    expect(events.some((e) => e.video?.stream_type !== undefined)).toBe(false);
  });

  it("a new source starts on demand again until its playlist says live", async () => {
    const s = setup({ plugins: [hlsPlugin()] });
    const media = new FakeMedia();
    const hls = liveHls(media);
    s.tracker.attach(media.asElement(), { video: { id: "news-24" }, hls });
    hls.emit("hlsLevelLoaded", levelLoaded(true));
    media.play();
    vi.advanceTimersByTime(300);
    media.fire("playing");
    run(media, 1000);
    hls.emit("hlsManifestLoading", { url: "https://cdn.test/vod/master.m3u8" });
    hls.emit("hlsLevelLoaded", levelLoaded(false));
    media.play();
    vi.advanceTimersByTime(300);
    media.fire("playing");
    run(media, 1000);
    await s.tracker.destroy();
    const ends = ofType(s.received(), "playback.view_end");
    expect(ends.map((e) => [e.reason, e.video.stream_type, e.live !== undefined])).toEqual([
      ["source_change", "live", true],
      ["destroy", undefined, false],
    ]);
  });
});
