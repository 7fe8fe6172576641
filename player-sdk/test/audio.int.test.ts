// An <audio> element in a real browser (issue 18 [17]): Debian's Chromium (headless, through
// playwright-core) plays an audio-only HLS ladder made by ffmpeg in this test (AAC-LC in fMP4,
// not the pipeline's) with hls.js and the SDK's IIFE bundles, all from 127.0.0.1. Events go to
// the real ingest API over the embedded bus (test/browser/collector.ts). A held segment forces
// a real stall. The SDK's startup and rebuffering figures are checked against the page's own
// stopwatch (performance.now() marks on the element's events), its bitrates against the master
// playlist ffmpeg wrote, and an exit before start against the test's clock.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM } from "@reeltime/infra";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildBundles, root } from "../scripts/bundles.ts";
import type { WireEvent } from "../src/contract.ts";
import type { Attachment, Tracker } from "../src/types.ts";
import { AUDIO_PAGE, LEFT_PAGE } from "./browser/audio-page.ts";
import { makeAudioHlsStream, masterVariants } from "./browser/audio-stream.ts";
import { type Collector, startCollector } from "./browser/collector.ts";
import { type MediaServer, startMediaServer } from "./browser/media-server.ts";

const APP_ID = "browser-test";
const WRITE_KEY = "wk_browser_test_0123456789";

/** What the audio page puts on `window` (test/browser/audio-page.ts). */
interface AudioWindow {
  setup(o: { endpoint: string; writeKey: string; flushIntervalMs: number }): string;
  play(): Promise<boolean>;
  frags: { changed: string[]; loaded: string[] };
  marks: {
    requested: number[];
    play: number[];
    playing: number[];
    waiting: number[];
    pause: number[];
    ended: number[];
    advanced: number[];
  };
  t: {
    tracker: Tracker;
    hls: { autoLevelCapping: number; loadLevel: number };
    audio: HTMLAudioElement;
    att: Attachment;
  };
}
declare const window: AudioWindow;

let work: string;
let master: string;
let media: MediaServer;
let collector: Collector;
let context: BrowserContext | undefined;
let profile: string | undefined;

beforeAll(async () => {
  for (const bin of [CHROMIUM.executablePath, "/usr/bin/ffmpeg"])
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run \`reeltime infra up\` (it apt-installs chromium and ffmpeg)`);
  work = mkdtempSync(join(tmpdir(), "reeltime-sdk-audio-"));
  [master] = await Promise.all([makeAudioHlsStream(join(work, "audio")), buildBundles(join(work, "sdk"))]);
  media = await startMediaServer(
    { "/audio/": join(work, "audio"), "/sdk/": join(work, "sdk"), "/lib/": join(root, "../node_modules/hls.js/dist") },
    { "/": AUDIO_PAGE, "/left": LEFT_PAGE },
  );
  collector = await startCollector({ appId: APP_ID, writeKey: WRITE_KEY, origins: [media.url] });
}, 180_000);

afterAll(async () => {
  await context?.close();
  await media?.close();
  await collector?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

beforeEach(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  profile = mkdtempSync(join(tmpdir(), "reeltime-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM.executablePath,
    headless: true,
    args: [...CHROMIUM.args],
  });
});

async function openPlayer(): Promise<{ page: Page; sessionId: string }> {
  const page = await context!.newPage();
  await page.goto(`${media.url}/`);
  const sessionId = await page.evaluate((opts) => window.setup(opts), {
    endpoint: collector.url,
    writeKey: WRITE_KEY,
    flushIntervalMs: 300,
  });
  return { page, sessionId };
}

const ofView = (viewId: string) =>
  collector
    .events()
    .filter((e) => e.view_id === viewId)
    .sort((a, b) => a.seq - b.seq);
const byType = <T extends WireEvent["event_type"]>(events: WireEvent[], type: T) =>
  events.filter((e): e is Extract<WireEvent, { event_type: T }> => e.event_type === type);
const NOISE = new Set(["playback.request", "playback.heartbeat", "playback.waiting", "playback.milestone"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The fields only a picture has, where an event carries them: an audio view sends none. */
const pictureFields = (e: WireEvent): string[] => [
  ...("display" in e && e.display ? ["display"] : []),
  ...("rendition" in e && e.rendition && "width" in e.rendition ? ["rendition.width"] : []),
  ...("rendition" in e && e.rendition && "height" in e.rendition ? ["rendition.height"] : []),
  ...("stats" in e && "dropped_frames" in e.stats ? ["stats.dropped_frames"] : []),
  ...("stats" in e && "decoded_frames" in e.stats ? ["stats.decoded_frames"] : []),
];

describe("an <audio> element playing audio-only HLS through hls.js", () => {
  it("startup, a forced stall and the bitrate on air, against the page's stopwatch and the master playlist", async () => {
    const variants = masterVariants(master);
    expect(variants.map((v) => [v.uri, v.codecs])).toEqual([
      ["aac64/index.m3u8", "mp4a.40.2"],
      ["aac128/index.m3u8", "mp4a.40.2"],
    ]);
    // Hold back the 128 kb/s segment at ~8–10 s: with a 4 s buffer the playhead runs dry at ~8 s.
    const hold = media.hold(/\/aac128\/seg004\.m4s$/);
    try {
      const { page, sessionId } = await openPlayer();
      await page.evaluate(() => window.play());
      const start = await collector.waitFor(
        (e) => e.event_type === "playback.startup_complete" && e.session_id === sessionId,
        "startup_complete",
      );
      const viewId = start.view_id!;
      // Up to 128 kb/s for what is loaded next (the buffer reaches ~6 s at most by then).
      await page.waitForFunction(() => window.t.audio.currentTime >= 0.5);
      await page.evaluate(() => {
        window.t.hls.autoLevelCapping = -1;
        window.t.hls.loadLevel = 1;
      });
      await hold.requested;
      await page.waitForFunction(
        () => window.marks.waiting.at(-1)! > window.marks.playing.at(-1)! && window.t.audio.currentTime > 7.5,
        undefined,
        { timeout: 30_000 },
      );
      await sleep(1500); // the segment stays held 1.5 s into the stall
      hold.release();
      const end = (await collector.waitFor(
        (e) => e.view_id === viewId && e.event_type === "playback.view_end",
        "view_end",
      )) as Extract<WireEvent, { event_type: "playback.view_end" }>;
      const marks = await page.evaluate(() => window.marks);
      const played = await page.evaluate(() => {
        const p = window.t.audio.played;
        let s = 0;
        for (let i = 0; i < p.length; i++) s += p.end(i) - p.start(i);
        return s * 1000;
      });
      const metrics = await page.evaluate(() => window.t.att.metrics()!);
      const events = ofView(viewId);
      const frags = await page.evaluate(() => window.frags);
      console.log(`hls.js FRAG_LOADED ${frags.loaded.join(" ")}; FRAG_CHANGED ${frags.changed.join(" ")}`);
      console.log(
        `events ${events.map((e) => `${e.event_type.slice(9)}@${e.playhead_ms}${"cause" in e && e.cause ? `(${e.cause})` : ""}${e.event_type === "playback.error" ? `(${e.error.code})` : ""}`).join(" ")}; marks ${JSON.stringify(marks)}`,
      );

      // The real ingest API took every event (the contract validates media_kind).
      expect(collector.rejected).toEqual([]);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      // Audio on every event, from the element; nothing only a picture has; played by hls.js.
      expect(events.every((e) => "media_kind" in e && e.media_kind === "audio")).toBe(true);
      expect(events.flatMap(pictureFields)).toEqual([]);
      expect(events.every((e) => "player" in e && e.player?.name === "hls.js")).toBe(true);

      // Rebuffering, stall by stall against the page's stopwatch: each `waiting` after the first
      // `playing`, up to the next `playing`. Besides the held segment, Chromium on a loaded machine
      // may fire waiting → playing within a millisecond mid-playback; the element reports a
      // stall, so the SDK counts one, as it does for a <video>.
      const pageStalls = marks.waiting
        .filter((w) => w > marks.playing[0]!)
        .map((w) => ({ at: w, ms: marks.playing.find((p) => p > w)! - w }));
      const rebuffers = byType(events, "playback.rebuffer_end");
      expect(rebuffers).toHaveLength(pageStalls.length);
      for (const [i, e] of rebuffers.entries()) expect(Math.abs(e.duration_ms - pageStalls[i]!.ms)).toBeLessThan(100);
      const held = rebuffers.filter((e) => e.duration_ms >= 1000);
      expect(held).toHaveLength(1);
      const heldStall = held[0]!;
      const pageHeld = pageStalls[rebuffers.indexOf(heldStall)]!.ms;
      expect(heldStall.duration_ms).toBeGreaterThanOrEqual(1400);
      expect(byType(events, "playback.rebuffer_start")[rebuffers.indexOf(heldStall)]!.playhead_ms).toBeGreaterThan(
        7500,
      );
      expect(end.reason).toBe("ended");
      expect(end.stats).toMatchObject({ rebuffer_count: pageStalls.length, seek_count: 0 });
      const pageRebufferMs = pageStalls.reduce((sum, p) => sum + p.ms, 0);
      expect(Math.abs(end.stats.rebuffer_ms - pageRebufferMs)).toBeLessThan(100);

      // The transitions, the blips (a stall, its end and the resumption) left out.
      const blips = new Set<number>();
      for (const e of rebuffers.filter((r) => r !== heldStall)) {
        blips.add(e.seq);
        blips.add(events.filter((x) => x.event_type === "playback.rebuffer_start" && x.seq < e.seq).at(-1)!.seq);
        blips.add(events.find((x) => x.event_type === "playback.playing" && x.seq > e.seq)!.seq);
      }
      expect(
        events
          .filter((e) => !NOISE.has(e.event_type) && !blips.has(e.seq))
          .filter((e) => !(e.event_type === "playback.error" && e.error.severity === "non_fatal"))
          .filter((e) => !(e.event_type === "playback.rendition_switch" && e.direction === "initial"))
          .map((e) => e.event_type),
      ).toEqual([
        "playback.view_start",
        "playback.startup_complete",
        "playback.playing",
        "playback.rendition_switch",
        "playback.rebuffer_start",
        "playback.rebuffer_end",
        "playback.playing",
        "playback.view_end",
      ]);

      // Startup: the SDK's figure is the page's `play` event (playback requested) → first
      // `playing` (the first advancing frame's time), so no more than from the play() call, and
      // less than to the first timeupdate with the playhead moving.
      const startup = byType(events, "playback.startup_complete")[0]!.startup_ms;
      const pageStartup = marks.playing[0]! - marks.play[0]!;
      const pagePlaying = marks.playing[0]! - marks.requested[0]!;
      const pageAdvanced = marks.advanced[0]! - marks.requested[0]!;
      expect(Math.abs(startup - pageStartup)).toBeLessThan(20);
      expect(startup).toBeLessThanOrEqual(Math.ceil(pagePlaying) + 1);
      expect(startup).toBeLessThanOrEqual(Math.ceil(pageAdvanced));
      expect(end.stats.startup_ms).toBe(startup);

      // Playing time: never more than the media the element reports played, and within 250 ms
      // of it. (The page's wall clock from each `playing` to the next stop is logged, not
      // checked: on a loaded machine the audio clock falls behind the wall without any
      // `waiting`, 4.7 % in one run, and playing time follows the media played.)
      const stops = [...marks.waiting, ...marks.pause, ...marks.ended].sort((a, b) => a - b);
      const pagePlayingMs = marks.playing.reduce((sum, p) => sum + ((stops.find((s) => s > p) ?? p) - p), 0);
      expect(end.stats.playing_ms).toBeLessThanOrEqual(Math.ceil(played) + 1);
      expect(Math.abs(end.stats.playing_ms - played)).toBeLessThan(250);

      // Bitrate: the renditions on air are the master playlist's variants (BANDWIDTH, CODECS),
      // 64 kb/s first, then up to 128 kb/s; the average lies between.
      const switches = byType(events, "playback.rendition_switch");
      expect(switches.map((e) => [e.direction, e.rendition.bitrate_bps, e.rendition.codecs])).toEqual([
        ["initial", variants[0]!.bandwidth, "mp4a.40.2"],
        ["up", variants[1]!.bandwidth, "mp4a.40.2"],
      ]);
      expect(metrics.avgBitrateBps).toBeGreaterThan(variants[0]!.bandwidth);
      expect(metrics.avgBitrateBps).toBeLessThan(variants[1]!.bandwidth);
      expect(metrics.upscaleAvg).toBeUndefined();

      console.log(
        `audio: startup SDK ${startup} ms, page ${pageStartup.toFixed(1)} ms (play event → playing; from the play() call ${pagePlaying.toFixed(1)} ms), page first advance ${pageAdvanced.toFixed(1)} ms; ` +
          `held stall SDK ${heldStall.duration_ms} ms, page ${pageHeld.toFixed(1)} ms; ` +
          `stalls SDK ${rebuffers.length} (${end.stats.rebuffer_ms} ms), page ${pageStalls.length} (${pageRebufferMs.toFixed(1)} ms); ` +
          `playing SDK ${end.stats.playing_ms} ms, played ${played.toFixed(1)} ms, page wall clock ${pagePlayingMs.toFixed(1)} ms; ` +
          `bitrates ${switches.map((e) => e.rendition.bitrate_bps).join(" → ")}, avg ${Math.round(metrics.avgBitrateBps!)} b/s`,
      );
    } finally {
      hold.release();
    }
  });

  it("an exit before start: the first segment held, the page left after 2 s, against the page's own clock", async () => {
    const hold = media.hold(/\/aac64\/seg000\.m4s$/);
    try {
      const { page, sessionId } = await openPlayer();
      await page.evaluate(() => {
        void window.play();
      });
      const start = await collector.waitFor(
        (e) => e.event_type === "playback.view_start" && e.session_id === sessionId,
        "view_start",
      );
      await hold.requested;
      await page.waitForFunction(() => performance.now() - window.marks.play[0]! >= 2000);
      await page.goto(`${media.url}/left`); // another page of the site: pagehide ends the view
      const left = JSON.parse((await page.evaluate(() => localStorage.getItem("audio-test.left"))) ?? "null") as {
        play: number[];
        hide: number;
      };
      const end = (await collector.waitFor(
        (e) => e.view_id === start.view_id && e.event_type === "playback.view_end",
        "view_end",
      )) as Extract<WireEvent, { event_type: "playback.view_end" }>;
      const events = ofView(start.view_id!);
      expect(collector.rejected).toEqual([]);
      expect(events.map((e) => e.event_type).filter((t) => !NOISE.has(t))).toEqual([
        "playback.view_start",
        "playback.view_end",
      ]);
      expect(end.reason).toBe("page_hide");
      expect(end.stats).toEqual({ playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0, seek_count: 0 });
      expect(events.every((e) => "media_kind" in e && e.media_kind === "audio")).toBe(true);
      // The wait the server sees (view_end − view_start, device time) is the page's: from its
      // play event to its pagehide, at least the 1 s an exit before start needs.
      const waited = Date.parse(end.client_ts) - Date.parse(start.client_ts);
      const pageWaited = left.hide - left.play[0]!;
      expect(pageWaited).toBeGreaterThanOrEqual(2000);
      expect(Math.abs(waited - pageWaited)).toBeLessThan(20);
      console.log(
        `audio EBVS: waited ${waited} ms by the events, ${pageWaited.toFixed(1)} ms by the page (play → pagehide)`,
      );
    } finally {
      hold.release();
    }
  });
});
