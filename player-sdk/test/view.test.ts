import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeMedia, ofType, setup, types } from "./fakes.ts";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2026-11-22T10:00:00.000Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

/** Attaches a 100 s video, plays it and reaches the first frame after `startupMs`. */
function started(startupMs = 800) {
  const s = setup();
  const media = new FakeMedia();
  media.duration = 100;
  const att = s.tracker.attach(media.asElement(), { video: { id: "vid-1", title: "Big Buck Bunny" } });
  media.play();
  vi.advanceTimersByTime(startupMs);
  media.fire("playing");
  vi.advanceTimersByTime(200);
  media.at(0.2);
  return { ...s, media, att };
}

describe("startup", () => {
  it("is the first frame with the playhead advancing minus the play request", async () => {
    const { events, att } = started(800);
    const ev = await events();
    expect(types(ev)).toEqual(["playback.view_start", "playback.startup_complete", "playback.playing"]);
    expect(ofType(ev, "playback.startup_complete")[0]!.startup_ms).toBe(800);
    expect(att.metrics()!.startupMs).toBe(800);
    expect(att.metrics()!.startupScore).toBeCloseTo((100 * 8) / 8.8, 6);
  });

  it("is not confirmed by `playing` alone: a wait before the playhead moves keeps startup running", async () => {
    const s = setup();
    const media = new FakeMedia();
    const att = s.tracker.attach(media.asElement(), { video: { id: "vid-1" } });
    media.play();
    vi.advanceTimersByTime(300);
    media.fire("playing");
    vi.advanceTimersByTime(100);
    media.fire("waiting");
    vi.advanceTimersByTime(1600);
    media.fire("playing");
    media.at(0.05);
    const ev = await s.events();
    expect(types(ev)).toEqual([
      "playback.view_start",
      "playback.waiting",
      "playback.startup_complete",
      "playback.playing",
    ]);
    expect(att.metrics()!.startupMs).toBe(2000);
    expect(att.metrics()!.rebufferCount).toBe(0);
  });

  it("counts a player's seek before the first frame (hls.js jumping a gap) as startup, not as a viewer seek", async () => {
    const s = setup();
    const media = new FakeMedia();
    const att = s.tracker.attach(media.asElement(), { video: { id: "vid-1" } });
    media.play();
    vi.advanceTimersByTime(300);
    media.seek(0.12);
    vi.advanceTimersByTime(100);
    media.seekDone();
    media.fire("playing");
    media.at(0.2);
    const ev = await s.events();
    expect(types(ev)).toEqual(["playback.view_start", "playback.startup_complete", "playback.playing"]);
    expect(att.metrics()).toMatchObject({ startupMs: 400, seekCount: 0 });
  });

  it("excludes time paused before the first frame", () => {
    const s = setup();
    const media = new FakeMedia();
    const att = s.tracker.attach(media.asElement(), { video: { id: "vid-1" } });
    media.play();
    vi.advanceTimersByTime(500);
    media.pause();
    vi.advanceTimersByTime(10_000);
    media.play();
    vi.advanceTimersByTime(700);
    media.fire("playing");
    media.at(0.1);
    expect(att.metrics()!.startupMs).toBe(1200);
  });

  it("is dated by `playing` even when totals are read before the playhead confirms it (a heartbeat, metrics())", async () => {
    const s = setup({ heartbeatMs: 1000 });
    const media = new FakeMedia();
    const att = s.tracker.attach(media.asElement(), { video: { id: "vid-1" } });
    media.play();
    vi.advanceTimersByTime(700);
    media.fire("playing");
    vi.advanceTimersByTime(300); // the heartbeat at 1 s reads the totals while startup is unconfirmed
    expect(att.metrics()!.startupMs).toBeUndefined();
    vi.advanceTimersByTime(100);
    media.at(0.4); // the playhead moved: the first frame was at 700 ms
    const ev = await s.events();
    expect(ofType(ev, "playback.startup_complete")[0]!.startup_ms).toBe(700);
    expect(att.metrics()).toMatchObject({ startupMs: 700, playingMs: 400 });
    vi.advanceTimersByTime(600);
    media.at(1.0);
    media.pause();
    // 1.7 s since the play request: 0.7 s of startup, then 1.0 s of playing (clock and media agree).
    expect(att.metrics()).toMatchObject({ startupMs: 700, playingMs: 1000, watchMs: 1700 });
  });
});

describe("rebuffering", () => {
  it("counts a stall after the first frame, with its duration, ratio and frequency", async () => {
    const { media, att, events } = started(1000);
    vi.advanceTimersByTime(9800); // 10 s of playing since the first frame
    media.at(10);
    media.fire("waiting");
    vi.advanceTimersByTime(2500);
    media.fire("playing");
    vi.advanceTimersByTime(50_000);
    media.at(60);
    const ev = await events();
    expect(types(ev)).toEqual([
      "playback.view_start",
      "playback.startup_complete",
      "playback.playing",
      "playback.milestone",
      "playback.rebuffer_start",
      "playback.rebuffer_end",
      "playback.playing",
      "playback.milestone",
      "playback.milestone",
    ]);
    expect(ofType(ev, "playback.rebuffer_end")[0]!.duration_ms).toBe(2500);
    const m = att.metrics()!;
    expect(m.rebufferCount).toBe(1);
    expect(m.rebufferMs).toBe(2500);
    expect(m.playingMs).toBe(60_000);
    expect(m.rebufferRatio).toBeCloseTo(2500 / 62_500, 9);
    expect(m.rebufferPerMinute).toBeCloseTo(1, 9);
    expect(m.smoothnessScore).toBeCloseTo((100 / Math.sqrt(1.25) + 100 * Math.exp(-0.4)) / 2, 9);
  });

  it("the view's rebuffer total equals the rebuffer_end durations even when the clock moves between calls", async () => {
    const { media, events } = started();
    const fakeNow = Date.now;
    let drift = 0;
    // A busy machine: every clock reading is 3 ms later than the previous one.
    const clock = vi.spyOn(Date, "now").mockImplementation(() => {
      drift += 3;
      return fakeNow() + drift;
    });
    media.at(1);
    media.fire("waiting");
    vi.advanceTimersByTime(900);
    media.fire("playing");
    media.at(1.1);
    media.fire("ended");
    clock.mockRestore();
    const ev = await events();
    const stalls = ofType(ev, "playback.rebuffer_end").reduce((sum, e) => sum + e.duration_ms, 0);
    expect(stalls).toBeGreaterThanOrEqual(900);
    expect(ofType(ev, "playback.view_end")[0]!.stats.rebuffer_ms).toBe(stalls);
  });

  it("ends when the playhead advances again even without `playing`", async () => {
    const { media, att, events } = started();
    media.at(1);
    media.fire("waiting");
    vi.advanceTimersByTime(700);
    media.at(1.05);
    const ev = await events();
    expect(ofType(ev, "playback.rebuffer_end")[0]!.duration_ms).toBe(700);
    expect(att.metrics()!.rebufferCount).toBe(1);
  });

  it("is detected by the progress watchdog when the element stalls without `waiting`", async () => {
    const { media, events } = started();
    media.at(2);
    media.readyState = 2;
    vi.advanceTimersByTime(2000);
    const ev = await events();
    expect(ofType(ev, "playback.rebuffer_start")[0]!.cause).toBe("no_progress");
  });

  it("does not count waiting during a seek (that is seek latency) or while paused", async () => {
    const { media, att, events } = started();
    vi.advanceTimersByTime(4000);
    media.at(4);
    media.seek(40);
    media.fire("waiting");
    vi.advanceTimersByTime(600);
    media.seekDone();
    media.fire("playing");
    media.pause();
    media.fire("waiting");
    const ev = await events();
    const seekEnd = ofType(ev, "playback.seek_end")[0]!;
    expect(seekEnd).toMatchObject({ from_ms: 4000, to_ms: 40_000, latency_ms: 600 });
    expect(ofType(ev, "playback.seek_start")[0]).toMatchObject({ from_ms: 4000, to_ms: 40_000 });
    expect(att.metrics()).toMatchObject({ rebufferCount: 0, seekCount: 1, seekLatencyMs: 600 });
  });
});

describe("pause, playing time and watch time", () => {
  it("playing time is the media played: a standing playhead, the last frame before `ended` and seeks add nothing", () => {
    const { media, att } = started(1000); // first frame at 1 s (playhead 0), playhead 0.2 at 1.2 s
    media.duration = 20;
    vi.advanceTimersByTime(4800);
    media.at(5); // 5 s played in 5 s
    vi.advanceTimersByTime(700); // the playhead stands still, no `waiting` yet
    expect(att.metrics()!.playingMs).toBe(5000);
    media.fire("waiting");
    vi.advanceTimersByTime(1000);
    media.fire("playing");
    vi.advanceTimersByTime(3000);
    media.at(8); // 3 s more
    media.seek(15); // the jump 8 → 15 is not played
    vi.advanceTimersByTime(200);
    media.seekDone();
    vi.advanceTimersByTime(5000);
    media.at(20); // 5 s more, to the end
    vi.advanceTimersByTime(450); // the last frame stays up until `ended`
    media.end();
    // An independent sum of the playhead's progress while playing: 0→5, 5→8, 15→20.
    const played = (5 - 0 + (8 - 5) + (20 - 15)) * 1000;
    expect(att.metrics()!.playingMs).toBe(played);
    expect(att.metrics()!.rebufferMs).toBe(1000);
  });

  it("playing time never exceeds the clock: at playback rate 2 the media runs ahead, the clock counts", () => {
    const { media, att } = started(1000);
    vi.advanceTimersByTime(3800);
    media.at(8); // 8 s of media in 4 s
    expect(att.metrics()!.playingMs).toBe(4000);
  });

  it("excludes pauses from watch time and playing time; watch time includes startup, stalls and seeks", async () => {
    const { media, att, events } = started(1000); // 1 s startup, then 0.2 s playing
    vi.advanceTimersByTime(4800);
    media.at(5);
    media.pause();
    vi.advanceTimersByTime(30_000);
    media.play();
    vi.advanceTimersByTime(100);
    media.fire("playing");
    vi.advanceTimersByTime(5000);
    media.at(10);
    media.fire("waiting");
    vi.advanceTimersByTime(1000);
    media.fire("playing");
    vi.advanceTimersByTime(2000);
    media.at(12);
    media.seek(50);
    vi.advanceTimersByTime(300);
    media.seekDone();
    vi.advanceTimersByTime(1000);
    media.at(51);
    const m = att.metrics()!;
    expect(m.playingMs).toBe(5000 + 5000 + 2000 + 1000);
    expect(m.rebufferMs).toBe(1000);
    expect(m.watchMs).toBe(1000 + 13_000 + 1000 + 300);
    const ev = await events();
    expect(types(ev, ["playback.request", "playback.heartbeat", "playback.milestone"]).slice(3)).toEqual([
      "playback.pause",
      "playback.play",
      "playback.playing",
      "playback.rebuffer_start",
      "playback.rebuffer_end",
      "playback.playing",
      "playback.seek_start",
      "playback.seek_end",
      "playback.playing",
    ]);
  });

  it("does not report the pause the element fires just before `ended`", async () => {
    const { media, events } = started();
    vi.advanceTimersByTime(1000);
    media.end();
    const ev = await events();
    expect(types(ev)).not.toContain("playback.pause");
    expect(ofType(ev, "playback.view_end")[0]!.reason).toBe("ended");
  });
});

describe("milestones", () => {
  it("fires 10/25/50/75 once each as the playhead passes them, 100 at the end", async () => {
    const { media, events } = started();
    for (const t of [9, 10, 11, 24.9, 26, 26.5]) media.at(t);
    media.seek(80);
    media.seekDone();
    media.at(80.3);
    media.at(81);
    media.end();
    const ev = await events();
    expect(ofType(ev, "playback.milestone").map((e) => [e.percent, e.playhead_ms])).toEqual([
      [10, 10_000],
      [25, 26_000],
      [50, 80_300],
      [75, 80_300],
      [100, 100_000],
    ]);
  });

  it("are not sent for live streams (no finite duration)", async () => {
    const s = setup();
    const media = new FakeMedia();
    media.duration = Number.POSITIVE_INFINITY;
    s.tracker.attach(media.asElement(), { video: { id: "live-1" } });
    media.play();
    media.fire("playing");
    media.at(500);
    const ev = await s.events();
    expect(ofType(ev, "playback.milestone")).toEqual([]);
    expect(ev[0]!.event_type === "playback.view_start" && ev[0]!.video.stream_type).toBe("live");
  });
});

describe("the view", () => {
  it("numbers its events 0, 1, 2… and stamps view, session, playhead and device time", async () => {
    const { media, events } = started();
    media.at(3);
    media.pause();
    const ev = await events();
    expect(ev.map((e) => e.seq)).toEqual(ev.map((_, i) => i));
    const viewIds = new Set(ev.map((e) => e.view_id));
    expect(viewIds.size).toBe(1);
    expect(ev.every((e) => e.session_id === ev[0]!.session_id && e.sample_rate === 1)).toBe(true);
    expect(ofType(ev, "playback.pause")[0]!.playhead_ms).toBe(3000);
    expect(ev[0]!.client_ts).toBe("2026-11-22T10:00:00.000Z");
  });

  it("is one per play attempt: a second attach for the same element and source makes no second view", async () => {
    const { media, tracker, events } = started();
    const again = tracker.attach(media.asElement(), { video: { id: "vid-1", title: "Big Buck Bunny" } });
    media.pause();
    media.play();
    media.fire("playing");
    const ev = await events();
    expect(ofType(ev, "playback.view_start")).toHaveLength(1);
    expect(ofType(ev, "playback.play")).toHaveLength(1);
    expect(again.viewId()).toBe(ev[0]!.view_id);
  });

  it("is one per play attempt even when a second tracker (the SDK initialised twice) attaches", async () => {
    const first = started();
    const second = setup();
    second.tracker.attach(first.media.asElement(), { video: { id: "vid-1" } });
    first.media.pause();
    first.media.play();
    expect(await second.events()).toEqual([]);
    expect(ofType(await first.events(), "playback.view_start")).toHaveLength(1);
  });

  it("starts a new view for a replay after `ended` and for a new source", async () => {
    const { media, tracker, events } = started();
    media.end();
    media.ended = false;
    media.currentTime = 0;
    media.play();
    media.paused = true;
    tracker.attach(media.asElement(), { video: { id: "vid-2" } });
    const ev = await events();
    const ends = ofType(ev, "playback.view_end").map((e) => e.reason);
    expect(ends).toEqual(["ended", "source_change"]);
    expect(new Set(ofType(ev, "playback.view_start").map((e) => e.view_id)).size).toBe(2);
  });

  it("ends on a media source change (loadstart with another src)", async () => {
    const { media, events } = started();
    media.currentSrc = "https://cdn.test/other.mp4";
    media.fire("loadstart");
    const ev = await events();
    expect(ofType(ev, "playback.view_end")[0]!.reason).toBe("source_change");
  });

  it("counts a view that autoplayed before the SDK attached", async () => {
    const s = setup();
    const media = new FakeMedia();
    media.paused = false;
    s.tracker.attach(media.asElement(), { video: { id: "vid-1" } });
    expect(types(await s.events())).toEqual(["playback.view_start"]);
  });
});

describe("heartbeats and timeout", () => {
  it("beats every heartbeatMs with running totals, in every state while the view lives", async () => {
    const { media, events } = started(1000);
    vi.advanceTimersByTime(8799);
    media.at(9);
    vi.advanceTimersByTime(1); // heartbeat at 10 s after the play request
    media.pause();
    vi.advanceTimersByTime(20_000);
    const beats = ofType(await events(), "playback.heartbeat");
    expect(beats.map((b) => Date.parse(b.client_ts) - Date.parse("2026-11-22T10:00:00.000Z"))).toEqual([
      10_000, 20_000, 30_000,
    ]);
    expect(beats.map((b) => b.state)).toEqual(["playing", "paused", "paused"]);
    expect(beats[0]!.stats).toEqual({
      startup_ms: 1000,
      playing_ms: 9000,
      rebuffer_ms: 0,
      rebuffer_count: 0,
      seek_count: 0,
      dropped_frames: 3,
      decoded_frames: 300,
    });
  });

  it("never beats more than 30 s apart, whatever is configured", async () => {
    const s = setup({ heartbeatMs: 120_000 });
    const media = new FakeMedia();
    s.tracker.attach(media.asElement(), { video: { id: "vid-1" } });
    media.play();
    vi.advanceTimersByTime(90_000);
    expect(ofType(await s.events(), "playback.heartbeat")).toHaveLength(3);
  });

  it("ends the view one hour after playback stopped (checked at the next heartbeat)", async () => {
    const { media, events, att } = started();
    media.pause();
    vi.advanceTimersByTime(3_590_000);
    expect(ofType(await events(), "playback.view_end")).toEqual([]);
    vi.advanceTimersByTime(20_000);
    const ev = await events();
    expect(ofType(ev, "playback.view_end")[0]!.reason).toBe("timeout");
    media.play();
    const again = await events();
    expect(ofType(again, "playback.view_start")).toHaveLength(2);
    expect(att.viewId()).not.toBe(ev[0]!.view_id);
  });
});

describe("exit before video start and failures", () => {
  it("is an EBVS when the viewer leaves after waiting ≥ 1 s with no first frame", async () => {
    const s = setup();
    const media = new FakeMedia();
    const att = s.tracker.attach(media.asElement(), { video: { id: "vid-1" } });
    media.play();
    vi.advanceTimersByTime(3000);
    s.hooks.hide.forEach((cb) => void cb());
    expect(att.metrics()).toMatchObject({ ebvs: true, playbackSuccess: 50 });
    expect(att.metrics()!.startupMs).toBeUndefined();
    const end = ofType(s.received(), "playback.view_end")[0]!;
    expect(end.reason).toBe("page_hide");
    expect(end.stats.startup_ms).toBeUndefined();
  });

  it("is not an EBVS when the wait was under 1 s", () => {
    const s = setup();
    const media = new FakeMedia();
    const att = s.tracker.attach(media.asElement(), { video: { id: "vid-1" } });
    media.play();
    vi.advanceTimersByTime(900);
    att.detach();
    expect(att.metrics()).toMatchObject({ ebvs: false, playbackSuccess: 100 });
  });

  it("is a failure (not an EBVS) when a fatal error comes before the first frame", async () => {
    const s = setup();
    const media = new FakeMedia();
    const att = s.tracker.attach(media.asElement(), { video: { id: "vid-1" } });
    media.play();
    vi.advanceTimersByTime(2000);
    media.error = { code: 4, message: "format not supported" };
    media.fire("error");
    const ev = await s.events();
    expect(types(ev)).toEqual(["playback.view_start", "playback.error", "playback.view_end"]);
    expect(ofType(ev, "playback.error")[0]!.error).toEqual({
      severity: "fatal",
      code: "MEDIA_ERR_SRC_NOT_SUPPORTED",
      category: "media",
      message: "format not supported",
    });
    expect(ofType(ev, "playback.view_end")[0]!.reason).toBe("error");
    expect(att.metrics()).toMatchObject({ ebvs: false, playbackSuccess: 0 });
  });

  it("counts business errors apart: reported, never a failure, the view goes on", async () => {
    const { att, events, media } = started();
    att.reportError({ severity: "business", code: "GEO_BLOCKED", category: "other" });
    media.pause();
    const ev = await events();
    expect(ofType(ev, "playback.error")[0]!.error.severity).toBe("business");
    expect(ofType(ev, "playback.view_end")).toEqual([]);
    expect(att.metrics()!.playbackSuccess).toBe(100);
  });
});
