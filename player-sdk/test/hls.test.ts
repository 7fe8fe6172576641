import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cmcdConfig } from "../src/hls/cmcd.ts";
import { hlsPlugin } from "../src/hls/hls-plugin.ts";
import { requestOf } from "../src/hls/requests.ts";
import { FakeHls, FakeMedia, ofType, setup, types } from "./fakes.ts";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2026-11-22T10:00:00.000Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

const frag = (level: number, type = "main", start?: number) => ({
  type,
  level,
  ...(start !== undefined ? { start, end: start + 2 } : {}),
  url: `https://cdn.test/${level}/seg.ts`,
  stats: { loaded: 250_000, retry: 1, loading: { start: 1000, first: 1080, end: 1580 } },
});

function hlsSetup() {
  const s = setup({ plugins: [hlsPlugin({ version: "1.7.4" })] });
  const media = new FakeMedia();
  media.duration = 60;
  const hls = new FakeHls();
  const att = s.tracker.attach(media.asElement(), { video: { id: "vid-1" }, hls });
  return { ...s, media, hls, att };
}

describe("hls.js plugin", () => {
  it("counts what is on screen (FRAG_CHANGED): initial, up, down, and the time-weighted bitrate", async () => {
    const { media, hls, att, events } = hlsSetup();
    hls.emit("hlsFragChanged", { frag: frag(0) }); // before play: the view starts with it
    media.play();
    media.fire("playing");
    media.at(0.1);
    vi.advanceTimersByTime(4000);
    media.at(4.1);
    hls.emit("hlsLevelSwitched", { level: 2 }); // loading only: no switch yet
    hls.emit("hlsFragChanged", { frag: frag(2) });
    vi.advanceTimersByTime(2000);
    media.at(6.1);
    hls.emit("hlsFragChanged", { frag: frag(2, "audio") });
    hls.emit("hlsFragChanged", { frag: frag(1) });
    vi.advanceTimersByTime(2000);
    media.at(8.1);
    media.pause();
    vi.advanceTimersByTime(10_000); // paused time does not weigh
    const ev = await events();
    const switches = ofType(ev, "playback.rendition_switch");
    expect(switches.map((e) => [e.direction, e.rendition.id, e.from_rendition?.id])).toEqual([
      ["initial", "360p", undefined],
      ["up", "1080p", "360p"],
      ["down", "720p", "1080p"],
    ]);
    expect(switches[1]!.rendition).toEqual({
      id: "1080p",
      bitrate_bps: 5_000_000,
      width: 1920,
      height: 1080,
      codecs: "avc1.640028",
    });
    const m = att.metrics()!;
    expect(m).toMatchObject({ switchesUp: 1, switchesDown: 1, playingMs: 8000 });
    expect(m.avgBitrateBps).toBe((4000 * 800_000 + 2000 * 5_000_000 + 2000 * 2_500_000) / 8000);
    // 1920×1080 box at DPR 1: 360p is upscaled 2×, 1080p not at all, 720p by half.
    expect(m.upscaleMax).toBe(2);
    expect(m.upscaleAvg).toBe((4000 * 2 + 2000 * 0 + 2000 * 0.5) / 8000);
    expect(m.qualityScore).toBeCloseTo(100 * Math.exp(-0.33 * (0.15 * 2 + 0.85 * 1.125)), 9);
    expect(ev.every((e) => e.event_type !== "playback.pause" || e.player?.name === "hls.js")).toBe(true);
  });

  it("counts a switch when its picture is shown: a stall's FRAG_CHANGED flips ahead of the playhead count nothing", async () => {
    const { media, hls, att, events } = hlsSetup();
    media.play();
    media.picture(640, 360);
    hls.emit("hlsFragChanged", { frag: frag(0, "main", 0) });
    media.fire("playing");
    media.at(0.1);
    vi.advanceTimersByTime(9880);
    media.at(9.98); // the playhead runs dry at the end of the 8–10 s fragment
    media.fire("waiting");
    // hls.js looks 0.1 s ahead when the playhead is not buffered: the 1080p fragment at 10 s, then
    // the 360p one the playhead stands in, then 1080p again, 720p and back.
    for (const [level, start] of [
      [2, 10],
      [0, 8],
      [2, 10],
      [1, 10],
      [0, 8],
    ] as const) {
      hls.emit("hlsFragChanged", { frag: frag(level, "main", start) });
      vi.advanceTimersByTime(100);
    }
    hls.emit("hlsFragChanged", { frag: frag(1, "main", 10) });
    vi.advanceTimersByTime(500);
    media.fire("playing");
    media.at(10.02); // inside the 720p fragment, but the 360p picture is still up
    const before = ofType(await events(), "playback.rendition_switch");
    expect(before.map((e) => e.direction)).toEqual(["initial"]);
    vi.advanceTimersByTime(30);
    media.picture(1280, 720); // the first 720p frame is presented
    vi.advanceTimersByTime(1970);
    media.at(12);
    hls.emit("hlsFragChanged", { frag: frag(2, "main", 12) });
    media.picture(1920, 1080);
    const switches = ofType(await events(), "playback.rendition_switch");
    expect(switches.map((e) => [e.direction, e.rendition.id])).toEqual([
      ["initial", "360p"],
      ["up", "720p"],
      ["up", "1080p"],
    ]);
    expect(att.metrics()).toMatchObject({ switchesUp: 2, switchesDown: 0 });
  });

  it("turns FRAG_LOADED stats into request events (ttfb, download, throughput, retries)", async () => {
    const { media, hls, events } = hlsSetup();
    hls.emit("hlsManifestLoaded", {
      url: "https://cdn.test/master.m3u8",
      stats: { loaded: 900, retry: 0, loading: { start: 10, first: 60, end: 70 } },
    });
    media.play();
    hls.emit("hlsFragLoaded", { frag: frag(1) });
    hls.emit("hlsFragLoaded", { frag: frag(1, "audio") });
    const req = ofType(await events(), "playback.request").map((e) => e.request);
    expect(req).toEqual([
      {
        kind: "manifest",
        failed: false,
        url: "https://cdn.test/master.m3u8",
        ttfb_ms: 50,
        download_ms: 10,
        bytes: 900,
        throughput_bps: 720_000,
        retries: 0,
      },
      {
        kind: "fragment",
        failed: false,
        url: "https://cdn.test/1/seg.ts",
        ttfb_ms: 80,
        download_ms: 500,
        bytes: 250_000,
        throughput_bps: 4_000_000,
        retries: 1,
        rendition_id: "720p",
      },
    ]);
  });

  it("reports fatal errors as failures that end the view, and non-fatal ones as warnings", async () => {
    const { media, hls, att, events } = hlsSetup();
    media.play();
    media.fire("playing");
    media.at(0.1);
    hls.emit("hlsError", {
      type: "networkError",
      details: "fragLoadError",
      fatal: false,
      error: new Error("HTTP 404"),
      frag: frag(0),
      response: { code: 404 },
    });
    hls.emit("hlsError", { type: "mediaError", details: "bufferAppendError", fatal: true, error: new Error("x") });
    const ev = await events();
    expect(ofType(ev, "playback.error").map((e) => e.error)).toEqual([
      { severity: "non_fatal", code: "fragLoadError", category: "network", message: "HTTP 404" },
      { severity: "fatal", code: "bufferAppendError", category: "media", message: "x" },
    ]);
    expect(ofType(ev, "playback.request")[0]!.request).toMatchObject({ failed: true, status: 404 });
    expect(ofType(ev, "playback.view_end")[0]!.reason).toBe("error");
    expect(att.metrics()!.playbackSuccess).toBe(0);
  });

  it("uses BUFFER_STALLED_ERROR only to label the rebuffer the media element reports", async () => {
    const { media, hls, att, events } = hlsSetup();
    media.play();
    media.fire("playing");
    media.at(0.1);
    hls.emit("hlsError", { type: "mediaError", details: "bufferStalledError", fatal: false, error: new Error("s") });
    expect(att.metrics()!.rebufferCount).toBe(0); // a stall report alone is not a rebuffer
    media.fire("waiting");
    hls.emit("hlsError", { type: "mediaError", details: "bufferStalledError", fatal: false, error: new Error("s") });
    vi.advanceTimersByTime(1500);
    media.fire("playing");
    const ev = await events();
    expect(ofType(ev, "playback.error")).toEqual([]);
    expect(ofType(ev, "playback.rebuffer_start")[0]!.cause).toBe("waiting");
    expect(ofType(ev, "playback.rebuffer_end")[0]).toMatchObject({ cause: "hls.buffer_stalled", duration_ms: 1500 });
  });

  it("ends the view when hls.js loads another source, and unbinds on detach", async () => {
    const { media, hls, att, events } = hlsSetup();
    media.play();
    hls.emit("hlsManifestLoading", { url: "https://cdn.test/other.m3u8" });
    expect(types(await events())).toEqual(["playback.view_start", "playback.view_end"]);
    expect(hls.count()).toBeGreaterThan(0);
    att.detach();
    expect(hls.count()).toBe(0);
  });

  it("does nothing without an hls instance (plain <video>)", async () => {
    const s = setup({ plugins: [hlsPlugin()] });
    const media = new FakeMedia();
    s.tracker.attach(media.asElement(), { video: { id: "vid-1" } });
    media.play();
    expect(ofType(await s.events(), "playback.view_start")[0]!.player?.name).toBe("html5");
  });

  it("computes request timing by hand-checked formulas", () => {
    const r = requestOf("fragment", {
      loaded: 1_000_000,
      retry: 0,
      loading: { start: 0.5, first: 100.5, end: 2100.5 },
    });
    expect(r).toMatchObject({ ttfb_ms: 100, download_ms: 2000, throughput_bps: 4_000_000 });
  });
});

describe("CMCD v2 helper", () => {
  it("configures hls.js to post event reports to /v1/cmcd with the write key", () => {
    const { tracker } = setup();
    const cfg = cmcdConfig({ tracker, contentId: "vid-1" });
    expect(cfg).toEqual({
      cmcd: {
        version: 2,
        contentId: "vid-1",
        eventTargets: [
          {
            url: "https://collect.test/v1/cmcd?key=wk_test",
            events: ["ps", "e", "bc", "t"],
            interval: 30,
            batchSize: 4,
          },
        ],
      },
    });
  });

  it("makes CMCD's session id the view id: each loaded source's reports join the view it plays", async () => {
    const s = setup({ plugins: [hlsPlugin()] });
    const media = new FakeMedia();
    media.duration = 60;
    const hls = Object.assign(new FakeHls(), { sessionId: "hls-own-id", config: cmcdConfig({ tracker: s.tracker }) });
    // hls.js's CMCD controller listens first (from the Hls constructor) and makes a reporter per
    // manifest load with the session id the config holds at that moment.
    const reporterSids: string[] = [];
    hls.on("hlsManifestLoading", () => reporterSids.push(hls.config.cmcd.sessionId ?? hls.sessionId));
    hls.emit("hlsManifestLoading", { url: "https://cdn.test/a.m3u8" }); // loadSource before attach
    s.tracker.attach(media.asElement(), { video: { id: "vid-1" }, hls });
    media.play();
    media.fire("playing");
    vi.advanceTimersByTime(1000);
    hls.emit("hlsManifestLoading", { url: "https://cdn.test/b.m3u8" }); // another source: a new view
    media.play();
    media.fire("playing");
    vi.advanceTimersByTime(1000);
    const starts = ofType(await s.events(), "playback.view_start");
    expect(reporterSids).toHaveLength(2);
    expect(reporterSids[0]).toBe("hls-own-id");
    expect(starts.map((e) => e.view_id)).toEqual(reporterSids);
    expect(new Set(starts.map((e) => e.view_id)).size).toBe(2);
  });
});
