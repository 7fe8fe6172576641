// An <audio> element is tracked the way a <video> is (issue 18 [17], audio-only streams): the
// same view state machine measures startup, stalls, bitrate and exits before start; its events
// say media_kind "audio", and the fields only a picture has (display box, picture size, dropped
// and decoded frames, upscale and quality score) are left out rather than sent as zeros.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { WireEvent } from "../src/contract.ts";
import { hlsPlugin } from "../src/hls/hls-plugin.ts";
import type { LevelLike } from "../src/hls/rendition.ts";
import { FakeHls, FakeMedia, fakeAudio, ofType, setup, types } from "./fakes.ts";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2026-11-22T10:00:00.000Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

/**
 * One play-through, the same for either element: play requested at 0, `playing` at 650 ms and
 * the playhead moving 100 ms later (startup 650 ms: the first frame is dated by `playing` and
 * confirmed by the playhead), a stall from 4.75 s to 6.25 s (1.5 s), the end at 9.5 s: playing
 * 4.1 s + 3.25 s = 7.35 s. Heartbeats every 2 s.
 */
async function playThrough(media: FakeMedia, mediaKind?: "audio" | "video") {
  const s = setup({ heartbeatMs: 2000 });
  media.duration = 10;
  const att = s.tracker.attach(media.asElement(), {
    video: { id: "episode-7", title: "Episode 7" },
    ...(mediaKind ? { mediaKind } : {}),
  });
  media.play();
  vi.advanceTimersByTime(650);
  media.fire("playing");
  vi.advanceTimersByTime(100);
  media.at(0.1);
  for (let t = 1; t <= 4; t++) {
    vi.advanceTimersByTime(1000);
    media.at(0.1 + t);
  }
  media.readyState = 2;
  media.fire("waiting");
  vi.advanceTimersByTime(1500);
  media.readyState = 4;
  media.fire("playing");
  for (let t = 1; t <= 3; t++) {
    vi.advanceTimersByTime(1000);
    media.at(4.1 + t);
  }
  vi.advanceTimersByTime(250);
  media.end();
  const events = await s.events();
  return { ...s, att, events };
}

/** The fields only a picture has, where an event carries them: none of them for audio. */
const pictureFields = (e: WireEvent): string[] => [
  ...("display" in e && e.display ? ["display"] : []),
  ...("rendition" in e && e.rendition && "width" in e.rendition ? ["rendition.width"] : []),
  ...("rendition" in e && e.rendition && "height" in e.rendition ? ["rendition.height"] : []),
  ...("stats" in e && "dropped_frames" in e.stats ? ["stats.dropped_frames"] : []),
  ...("stats" in e && "decoded_frames" in e.stats ? ["stats.decoded_frames"] : []),
];

describe("an <audio> element", () => {
  it("measures startup and a stall exactly as a <video>, and stamps media_kind audio on every event", async () => {
    const audio = await playThrough(fakeAudio());
    const video = await playThrough(new FakeMedia());
    expect(audio.att.mediaKind).toBe("audio");
    expect(video.att.mediaKind).toBe("video");
    expect(audio.events.every((e) => "media_kind" in e && e.media_kind === "audio")).toBe(true);
    expect(video.events.every((e) => "media_kind" in e && e.media_kind === "video")).toBe(true);
    // The same transitions, in the same order.
    expect(types(audio.events)).toEqual(types(video.events));
    expect(types(audio.events)).toEqual([
      "playback.view_start",
      "playback.startup_complete",
      "playback.playing",
      "playback.milestone", // 10 % at 1.1 s of 10 s
      "playback.milestone", // 25 %
      "playback.rebuffer_start",
      "playback.rebuffer_end",
      "playback.playing",
      "playback.milestone", // 50 %
      "playback.milestone", // 75 % and 100 % at the end
      "playback.milestone",
      "playback.view_end",
    ]);
    expect(ofType(audio.events, "playback.startup_complete")[0]!.startup_ms).toBe(650);
    expect(ofType(audio.events, "playback.rebuffer_end")[0]!.duration_ms).toBe(1500);
    const m = audio.att.metrics()!;
    expect(m).toMatchObject({ startupMs: 650, rebufferCount: 1, rebufferMs: 1500, playingMs: 7350, ebvs: false });
    const { upscaleAvg: _a, upscaleMax: _b, qualityScore: _c, ...sound } = video.att.metrics()!;
    expect(m).toEqual(sound);
    const end = ofType(audio.events, "playback.view_end")[0]!;
    expect(end.stats).toEqual({
      startup_ms: 650,
      playing_ms: 7350,
      rebuffer_ms: 1500,
      rebuffer_count: 1,
      seek_count: 0,
    });
  });

  it("sends no display box and no frame counts (a <video> sends both)", async () => {
    const audio = await playThrough(fakeAudio());
    const video = await playThrough(new FakeMedia());
    expect(ofType(audio.events, "playback.heartbeat").length).toBeGreaterThanOrEqual(4);
    for (const e of audio.events) expect(pictureFields(e), e.event_type).toEqual([]);
    // The <video> of the same play-through sends them (the fake's box and frame counts).
    expect(new Set(video.events.flatMap(pictureFields))).toEqual(
      new Set(["display", "stats.dropped_frames", "stats.decoded_frames"]),
    );
    const videoEnd = ofType(video.events, "playback.view_end")[0]!;
    expect(videoEnd.display).toEqual({ width: 1920, height: 1080, pixel_ratio: 1 });
    expect(videoEnd.stats).toMatchObject({ dropped_frames: 3, decoded_frames: 300 });
  });

  it("an exit before start counts as for a <video>: after 2 s of waiting it is one, after 0.5 s it is not", async () => {
    for (const [waitMs, ebvs] of [
      [2000, true],
      [500, false],
    ] as const) {
      const s = setup();
      const media = fakeAudio();
      const att = s.tracker.attach(media.asElement(), { video: { id: "episode-7" } });
      media.play();
      vi.advanceTimersByTime(waitMs);
      for (const hide of s.hooks.hide) hide();
      const ev = await s.events();
      expect(types(ev)).toEqual(["playback.view_start", "playback.view_end"]);
      const end = ofType(ev, "playback.view_end")[0]!;
      expect(end).toMatchObject({ reason: "page_hide", media_kind: "audio" });
      expect(end.stats).toEqual({ playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0, seek_count: 0 });
      expect(att.metrics()).toMatchObject({ ebvs, playbackSuccess: ebvs ? 50 : 100 });
    }
  });

  it("the option overrides the element: an audio-only stream in a <video>, or an <audio> counted as video", async () => {
    const inVideo = await playThrough(new FakeMedia(), "audio");
    expect(inVideo.att.mediaKind).toBe("audio");
    expect(inVideo.events.every((e) => "media_kind" in e && e.media_kind === "audio")).toBe(true);
    for (const e of inVideo.events) expect(pictureFields(e), e.event_type).toEqual([]);
    const asVideo = await playThrough(fakeAudio(), "video");
    expect(asVideo.events.every((e) => "media_kind" in e && e.media_kind === "video")).toBe(true);
    // It is still an <audio>: the box of its controls is sent, frame counts it has none.
    expect(ofType(asVideo.events, "playback.view_start")[0]!.display).toEqual({
      width: 300,
      height: 54,
      pixel_ratio: 1,
    });
    expect(ofType(asVideo.events, "playback.view_end")[0]!.stats).not.toHaveProperty("dropped_frames");
  });

  it("a second attach for the same source keeps the one view", async () => {
    const s = setup();
    const media = fakeAudio();
    const first = s.tracker.attach(media.asElement(), { video: { id: "episode-7" } });
    media.play();
    const second = s.tracker.attach(media.asElement(), { video: { id: "episode-7" } });
    expect(second).toBe(first);
    expect(ofType(await s.events(), "playback.view_start")).toHaveLength(1);
  });
});

describe("an <audio> element with hls.js", () => {
  const frag = (level: number, start: number) => ({
    type: "main",
    level,
    start,
    end: start + 4,
    url: `https://cdn.test/a${level}/seg.m4s`,
    stats: { loaded: 64_000, retry: 0, loading: { start: 1000, first: 1040, end: 1100 } },
  });

  function hlsAudio(levels: LevelLike[]) {
    const s = setup({ plugins: [hlsPlugin({ version: "1.7.4" })] });
    const media = fakeAudio();
    media.duration = 60;
    const hls = new FakeHls();
    Object.assign(hls, { levels });
    const att = s.tracker.attach(media.asElement(), { video: { id: "episode-7" }, hls });
    return { ...s, media, hls, att };
  }

  // An audio-only ladder as hls.js 1.7 lists it: bitrates, no picture size, the audio codec in
  // full and a codecSet of its family alone.
  const aac = (kbps: number) => ({
    bitrate: kbps * 1000,
    width: 0,
    height: 0,
    name: `aac-${kbps}k`,
    audioCodec: "mp4a.40.2",
    codecSet: "mp4a",
  });
  const AAC = [aac(64), aac(128), aac(192)];

  it("takes the bitrate on air from the plugin: renditions with bitrate and codecs, the time-weighted average", async () => {
    const { media, hls, att, events } = hlsAudio(AAC);
    hls.emit("hlsFragChanged", { frag: frag(0, 0) });
    media.play();
    media.fire("playing");
    media.at(0.1);
    vi.advanceTimersByTime(4000);
    media.at(4.1);
    hls.emit("hlsFragChanged", { frag: frag(2, 4) });
    vi.advanceTimersByTime(2000);
    media.at(6.1);
    media.pause();
    const ev = await events();
    const switches = ofType(ev, "playback.rendition_switch");
    expect(switches.map((e) => [e.direction, e.rendition])).toEqual([
      ["initial", { id: "aac-64k", bitrate_bps: 64_000, codecs: "mp4a.40.2" }],
      ["up", { id: "aac-192k", bitrate_bps: 192_000, codecs: "mp4a.40.2" }],
    ]);
    expect(switches.every((e) => e.media_kind === "audio" && e.player?.name === "hls.js")).toBe(true);
    const m = att.metrics()!;
    expect(m.avgBitrateBps).toBe((4000 * 64_000 + 2000 * 192_000) / 6000);
    expect(m).toMatchObject({ switchesUp: 1, playingMs: 6000 });
    expect(m.upscaleAvg).toBeUndefined();
    expect(m.qualityScore).toBeUndefined();
  });

  it("leaves out a picture size even when the stream has one (a muxed stream in an <audio>)", async () => {
    const { media, hls, events } = hlsAudio(new FakeHls().levels);
    hls.emit("hlsFragChanged", { frag: frag(1, 0) });
    media.play();
    media.fire("playing");
    media.at(0.1);
    vi.advanceTimersByTime(2000);
    media.at(2.1);
    media.pause();
    const ev = await events();
    expect(ofType(ev, "playback.rendition_switch")[0]!.rendition).toEqual({
      id: "720p",
      bitrate_bps: 2_500_000,
      codecs: "avc1.4d401f",
    });
    for (const e of ev) expect(pictureFields(e), e.event_type).toEqual([]);
  });

  it("without a plugin, as for a plain <video>: no rendition, so no bitrate (the element tells none)", async () => {
    const audio = await playThrough(fakeAudio());
    expect(ofType(audio.events, "playback.rendition_switch")).toEqual([]);
    expect(audio.att.metrics()!.avgBitrateBps).toBeUndefined();
  });
});
