// Real-browser tests: Debian's Chromium (headless, through playwright-core) plays a real HLS
// ladder made by ffmpeg with hls.js and the SDK's IIFE bundles, all served from 127.0.0.1.
// Events go to the real ingest API (ingest-api buildApp() on 127.0.0.1 over the embedded bus,
// test/browser/collector.ts) and are read back from the bus.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM } from "@reeltime/infra";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildBundles, root } from "../scripts/bundles.ts";
import type { WireEvent } from "../src/contract.ts";
import { type Collector, startCollector } from "./browser/collector.ts";
import { type MediaServer, startMediaServer } from "./browser/media-server.ts";
import { PAGE } from "./browser/page.ts";
import { makeHlsStream } from "./browser/stream.ts";

const APP_ID = "browser-test";
const WRITE_KEY = "wk_browser_test_0123456789";

let work: string;
let media: MediaServer;
let collector: Collector;
let context: BrowserContext | undefined;
let profile: string | undefined;

beforeAll(async () => {
  for (const bin of [CHROMIUM.executablePath, "/usr/bin/ffmpeg"])
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run \`reeltime infra up\` (it apt-installs chromium and ffmpeg)`);
  work = mkdtempSync(join(tmpdir(), "reeltime-sdk-browser-"));
  await Promise.all([makeHlsStream(join(work, "hls")), buildBundles(join(work, "sdk"))]);
  media = await startMediaServer(
    { "/hls/": join(work, "hls"), "/sdk/": join(work, "sdk"), "/lib/": join(root, "../node_modules/hls.js/dist") },
    { "/": PAGE },
  );
  collector = await startCollector({ appId: APP_ID, writeKey: WRITE_KEY, origins: [media.url] });
});

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
  // A fresh profile per test: no queue left in localStorage by another test.
  profile = mkdtempSync(join(tmpdir(), "reeltime-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM.executablePath,
    headless: true,
    args: [...CHROMIUM.args],
  });
});

async function openPlayer(o: {
  flushIntervalMs: number;
  maxBatchEvents?: number;
}): Promise<{ page: Page; sessionId: string }> {
  const page = await context!.newPage();
  await page.goto(`${media.url}/`);
  const sessionId = await page.evaluate((opts) => window.setup(opts), {
    endpoint: collector.url,
    writeKey: WRITE_KEY,
    ...o,
  });
  return { page, sessionId };
}

/** The view's events as stored on the bus, in the order the SDK numbered them. */
const ofView = (viewId: string) =>
  collector
    .events()
    .filter((e) => e.view_id === viewId)
    .sort((a, b) => a.seq - b.seq);
/** Requests of this session the ingest API answered. */
const sentBy = (sessionId: string) =>
  collector.received.filter((r) => r.events.some((e) => e.session_id === sessionId));
const byType = <T extends WireEvent["event_type"]>(events: WireEvent[], type: T) =>
  events.filter((e): e is Extract<WireEvent, { event_type: T }> => e.event_type === type);
const NOISE = new Set(["playback.request", "playback.heartbeat", "playback.waiting", "playback.milestone"]);

describe("the SDK in a real browser", () => {
  it("play → pause → seek → held segment (rebuffer) → rendition switch → end: exact events and figures", async () => {
    const { page, sessionId } = await openPlayer({ flushIntervalMs: 300 });
    // A second attach for the same element and source (the classic double-init) is the same attachment.
    expect(
      await page.evaluate(
        () => window.t.tracker.attach(window.t.video, { hls: window.t.hls, video: window.t.video_ }) === window.t.att,
      ),
    ).toBe(true);

    await page.evaluate(() => window.play());
    const start = await collector.waitFor(
      (e) => e.event_type === "playback.startup_complete" && e.session_id === sessionId,
      "startup_complete",
    );
    const viewId = start.view_id!;
    await page.evaluate(() => window.t.tracker.attach(window.t.video, { hls: window.t.hls, video: window.t.video_ }));
    await page.waitForFunction(() => window.t.video.currentTime >= 1);
    await page.evaluate(() => window.t.video.pause());
    await collector.waitFor((e) => e.view_id === viewId && e.event_type === "playback.pause", "pause");

    // Hold back the 12–14 s segment: with a 4 s buffer the playhead runs dry at 12 s.
    const hold = media.hold(/\/240p\/seg006\.ts$/);
    await page.evaluate(() => {
      window.t.video.currentTime = 8;
    });
    await collector.waitFor((e) => e.view_id === viewId && e.event_type === "playback.seek_end", "seek_end");
    const waitsBefore = await page.evaluate(() => window.marks.waiting.length);
    await page.evaluate(() => window.play());
    await hold.requested;
    await page.waitForFunction((n) => window.marks.waiting.length > n && window.t.video.currentTime > 11, waitsBefore);
    await new Promise((r) => setTimeout(r, 1500)); // the throttle itself: the segment stays held 1.5 s into the stall
    hold.release();
    await collector.waitFor((e) => e.view_id === viewId && e.event_type === "playback.rebuffer_end", "rebuffer_end");

    await page.evaluate(() => {
      window.t.hls.autoLevelCapping = -1;
      window.t.hls.loadLevel = 2;
    });
    const end = await collector.waitFor(
      (e) => e.view_id === viewId && e.event_type === "playback.view_end",
      "view_end",
    );
    const marks = await page.evaluate(() => window.marks);
    const playedMs = await page.evaluate(() => {
      const p = window.t.video.played;
      let s = 0;
      for (let i = 0; i < p.length; i++) s += p.end(i) - p.start(i);
      return s * 1000;
    });
    const cmcd = await collector.waitFor(
      (e) => e.event_type === "playback.cmcd" && e.view_id === viewId,
      "playback.cmcd from hls.js's CMCD v2 reports",
    );

    const events = ofView(viewId);
    expect(collector.rejected).toEqual([]);
    expect(
      events
        .filter((e) => !NOISE.has(e.event_type))
        .filter((e) => !(e.event_type === "playback.error" && e.error.severity === "non_fatal"))
        .filter((e) => !(e.event_type === "playback.rendition_switch" && e.direction === "initial"))
        .map((e) => e.event_type),
    ).toEqual([
      "playback.view_start",
      "playback.startup_complete",
      "playback.playing",
      "playback.pause",
      "playback.seek_start",
      "playback.seek_end",
      "playback.play",
      "playback.playing",
      "playback.rebuffer_start",
      "playback.rebuffer_end",
      "playback.playing",
      "playback.rendition_switch",
      "playback.view_end",
    ]);
    // One view, numbered without gaps, each event once.
    expect(byType(collector.events(), "playback.view_start").filter((e) => e.session_id === sessionId)).toHaveLength(1);
    expect(events.map((e) => e.seq).sort((a, b) => a - b)).toEqual(events.map((_, i) => i));
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);

    // Startup: the SDK's figure matches what the page saw (play() call → first `playing`).
    const startup = byType(events, "playback.startup_complete")[0]!.startup_ms;
    expect(Math.abs(startup - (marks.playing[0]! - marks.requested[0]!))).toBeLessThan(100);
    // Rebuffer: one stall, as long as the page's waiting → playing, at least the 1.5 s hold.
    const rebufferEnd = byType(events, "playback.rebuffer_end")[0]!;
    const stallAt = marks.waiting.filter((t) => t > marks.playing[1]!)[0]!;
    const resumedAt = marks.playing.find((t) => t > stallAt)!;
    expect(rebufferEnd.duration_ms).toBeGreaterThanOrEqual(1400);
    expect(Math.abs(rebufferEnd.duration_ms - (resumedAt - stallAt))).toBeLessThan(100);
    expect(byType(events, "playback.rebuffer_start")[0]!.playhead_ms).toBeGreaterThan(11_500);

    const viewEnd = end as Extract<WireEvent, { event_type: "playback.view_end" }>;
    expect(viewEnd.reason).toBe("ended");
    expect(viewEnd.stats).toMatchObject({ startup_ms: startup, rebuffer_count: 1, seek_count: 1 });
    expect(Math.abs(viewEnd.stats.rebuffer_ms - rebufferEnd.duration_ms)).toBeLessThanOrEqual(1);
    // Playing time matches the media the element reports played (0→~2 s and 8→20 s).
    expect(playedMs).toBeGreaterThan(12_000);
    expect(Math.abs(viewEnd.stats.playing_ms - playedMs)).toBeLessThan(750);
    expect(byType(events, "playback.milestone").map((e) => e.percent)).toEqual([10, 25, 50, 75, 100]);

    // The rendition on screen: 240p first, then up to 720p once it reached the screen.
    const switches = byType(events, "playback.rendition_switch");
    expect(switches.map((e) => [e.direction, e.rendition.height])).toEqual([
      ["initial", 240],
      ["up", 720],
    ]);
    const requests = byType(events, "playback.request").map((e) => e.request);
    expect(requests.filter((r) => r.kind === "fragment").length).toBeGreaterThan(5);
    expect(requests.every((r) => r.failed || (r.ttfb_ms !== undefined && r.download_ms !== undefined))).toBe(true);
    // hls.js warnings (e.g. bufferSeekOverHole at start) are reported as non-fatal, never as failures.
    expect(byType(events, "playback.error").filter((e) => e.error.severity !== "non_fatal")).toEqual([]);
    expect(events.every((e) => "player" in e && e.player?.name === "hls.js" && e.sample_rate === 1)).toBe(true);

    // Delivery: JSON by fetch with the key in the header; hls.js CMCD v2 reports carry the view id as sid.
    const fetched = collector.received.filter((r) => r.events.some((e) => e.view_id === viewId));
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.every((r) => r.via === "header" && r.contentType.startsWith("application/json"))).toBe(true);
    expect(fetched.every((r) => r.status === 200 && r.bytes > 0 && r.bytes <= 64_000)).toBe(true);
    expect((cmcd as Extract<WireEvent, { event_type: "playback.cmcd" }>).cmcd).toMatchObject({
      sid: viewId,
      cid: "test-pattern",
    });
    expect(collector.received.filter((r) => r.path === "/v1/cmcd").every((r) => r.status === 200)).toBe(true);
    expect(collector.rejected).toEqual([]);
  });

  it("a page hidden mid-view still delivers its events by beacon, and the view ends on pagehide", async () => {
    const { page, sessionId } = await openPlayer({ flushIntervalMs: 600_000, maxBatchEvents: 500 });
    await page.evaluate(() => window.play());
    await page.waitForFunction(() => window.t.video.currentTime >= 1);
    expect(sentBy(sessionId)).toEqual([]); // nothing flushed yet
    await page.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    const started = await collector.waitFor(
      (e) => e.session_id === sessionId && e.event_type === "playback.startup_complete",
      "startup_complete by beacon",
    );
    await page.evaluate(() => window.t.video.currentTime >= 1 && window.t.video.pause());
    await page.goto("about:blank"); // pagehide
    const end = await collector.waitFor(
      (e) => e.view_id === started.view_id && e.event_type === "playback.view_end",
      "view_end by beacon",
    );
    expect((end as Extract<WireEvent, { event_type: "playback.view_end" }>).reason).toBe("page_hide");
    const mine = sentBy(sessionId);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    for (const r of mine) {
      expect(r.via).toBe("query");
      expect(r.contentType).toMatch(/^text\/plain/);
      expect(r.status).toBe(200);
    }
    const events = ofView(started.view_id!);
    expect(events.map((e) => e.seq).sort((a, b) => a - b)).toEqual(events.map((_, i) => i));
    expect(collector.rejected).toEqual([]);
  });

  it("with the ingest API down, events are queued (persistently) and delivered once it is back", async () => {
    await collector.down();
    try {
      const { page, sessionId } = await openPlayer({ flushIntervalMs: 300 });
      await page.evaluate(() => window.play());
      await page.waitForFunction(() => window.t.video.currentTime >= 1);
      await page.evaluate(() => window.t.video.pause());
      await page.waitForFunction(() => {
        const keys = Object.keys(localStorage).filter((k) => k.startsWith("reeltime.queue.browser-test:"));
        const q = keys.map((k) => localStorage.getItem(k)).join("");
        return q.includes('"playback.pause"') && window.t.tracker.deliveryStats().retries > 0;
      });
      expect(sentBy(sessionId)).toEqual([]);
      await collector.up();
      const pause = await collector.waitFor(
        (e) => e.session_id === sessionId && e.event_type === "playback.pause",
        "pause after the outage",
      );
      await page.waitForFunction(() => window.t.tracker.deliveryStats().queued === 0);
      const events = ofView(pause.view_id!);
      expect(events.map((e) => e.seq).sort((a, b) => a - b)).toEqual(events.map((_, i) => i));
      expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
      expect(types(events)).toEqual([
        "playback.view_start",
        "playback.startup_complete",
        "playback.playing",
        "playback.pause",
      ]);
      expect(await page.evaluate(() => window.t.tracker.deliveryStats().dropped)).toBe(0);
      expect(collector.rejected).toEqual([]);
    } finally {
      await collector.up();
    }
  });

  it("with the bus down the API answers 503 with Retry-After, and the SDK waits as told, then delivers", async () => {
    collector.busDown(true);
    try {
      const { page, sessionId } = await openPlayer({ flushIntervalMs: 300 });
      await page.evaluate(() => window.play());
      await page.waitForFunction(() => window.t.tracker.deliveryStats().retries > 0);
      const refused = () => sentBy(sessionId).filter((r) => r.status === 503);
      expect(refused()).toHaveLength(1);
      expect(Number(refused()[0]!.retryAfter)).toBeGreaterThanOrEqual(3);
      // Its own backoff would retry within 0.5–1 s; the answer's Retry-After (5 s) holds it back.
      await new Promise((r) => setTimeout(r, 2500));
      expect(refused()).toHaveLength(1);
      expect(await page.evaluate(() => window.t.tracker.deliveryStats().retries)).toBe(1);
      expect(collector.events().filter((e) => e.session_id === sessionId)).toEqual([]);
      collector.busDown(false);
      const start = await collector.waitFor(
        (e) => e.session_id === sessionId && e.event_type === "playback.startup_complete",
        "startup_complete after the bus came back",
        15_000,
      );
      const events = ofView(start.view_id!);
      expect(types(events).slice(0, 3)).toEqual([
        "playback.view_start",
        "playback.startup_complete",
        "playback.playing",
      ]);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      expect(collector.rejected).toEqual([]);
    } finally {
      collector.busDown(false);
    }
  });
});

describe("QoE figures against what the page saw", () => {
  it("rendition switches equal the picture changes presented; playing time ≤ media played, within 2 % of a frame stopwatch", async () => {
    const { page, sessionId } = await openPlayer({ flushIntervalMs: 300 });
    await page.evaluate(() => window.play());
    await page.waitForFunction(() => window.t.video.currentTime >= 1.5);
    // Forced up to 720p, and the 720p segment at 8–10 s held: the playhead runs dry at 8 s.
    const hold = media.hold(/\/720p\/seg004\.ts$/);
    await page.evaluate(() => {
      window.t.hls.autoLevelCapping = -1;
      window.t.hls.loadLevel = 2;
    });
    await hold.requested;
    await page.waitForFunction(() => window.t.video.currentTime > 7.5 && window.marks.waiting.length > 0, undefined, {
      timeout: 30_000,
    });
    // During the stall, forced down to 240p: hls.js reports fragments of both around the playhead.
    await page.evaluate(() => {
      window.t.hls.loadLevel = 0;
    });
    await new Promise((r) => setTimeout(r, 1500));
    hold.release();
    const start = await collector.waitFor(
      (e) => e.session_id === sessionId && e.event_type === "playback.view_start",
      "view_start",
    );
    const end = (await collector.waitFor(
      (e) => e.view_id === start.view_id && e.event_type === "playback.view_end",
      "view_end",
    )) as Extract<WireEvent, { event_type: "playback.view_end" }>;
    const shown = await page.evaluate(() => window.shown);
    const fragLevels = await page.evaluate(() => window.fragLevels);
    const playedMs = await page.evaluate(() => {
      const p = window.t.video.played;
      let s = 0;
      for (let i = 0; i < p.length; i++) s += p.end(i) - p.start(i);
      return s * 1000;
    });
    const events = ofView(start.view_id!);
    const switches = byType(events, "playback.rendition_switch");
    // The SDK's renditions, in order, are the picture sizes the page saw presented.
    expect(shown.frames).toBeGreaterThan(100);
    expect(switches.map((e) => `${e.rendition.width}x${e.rendition.height}`)).toEqual(shown.sizes);
    expect(switches.filter((e) => e.direction !== "initial")).toHaveLength(shown.sizes.length - 1);
    expect(shown.sizes.length).toBeGreaterThanOrEqual(2);
    expect(end.stats.rebuffer_count).toBe(1);
    // Playing time: never more than the media played, and within 2 % of the frame stopwatch.
    expect(end.stats.playing_ms).toBeLessThanOrEqual(Math.ceil(playedMs));
    expect(Math.abs(end.stats.playing_ms - shown.stopwatchMs) / shown.stopwatchMs).toBeLessThan(0.02);
    console.log(
      `switches ${switches.length - 1}, picture changes ${shown.sizes.length - 1} (${shown.sizes.join(" → ")}); ` +
        `FRAG_CHANGED levels ${fragLevels.join(" → ")}; playing_ms ${end.stats.playing_ms}, played ${Math.round(playedMs)} ms, stopwatch ${Math.round(shown.stopwatchMs)} ms`,
    );
    expect(collector.rejected).toEqual([]);
  });
});

describe("the offline queue across tabs", () => {
  it("two tabs offline at once, one closed: every event of both reaches the ingest API exactly once", async () => {
    const a = await openPlayer({ flushIntervalMs: 300 });
    const b = await openPlayer({ flushIntervalMs: 300 });
    for (const p of [a.page, b.page]) {
      await p.evaluate(() => window.play());
      await p.waitForFunction(() => window.t.video.currentTime >= 1);
    }
    await context!.setOffline(true);
    for (const p of [a.page, b.page]) {
      await p.evaluate(() => window.t.video.pause());
      await p.evaluate(() => window.play());
      await p.evaluate(() => window.t.video.pause());
      await p.waitForFunction(() => window.t.tracker.deliveryStats().retries > 0);
    }
    const keys = await a.page.evaluate(() =>
      Object.keys(localStorage).filter((k) => k.startsWith("reeltime.queue.browser-test:")),
    );
    expect(keys).toHaveLength(2); // one queue per tab, neither written over
    const madeB = await b.page.evaluate(() => window.made);
    await b.page.close(); // offline: its queue (and the view end of pagehide) stays in its key
    await context!.setOffline(false);
    const madeA = await a.page.evaluate(() => window.made);
    const all = [...madeA, ...madeB];
    const deadline = Date.now() + 30_000;
    const count = () => {
      const n = new Map<string, number>();
      for (const e of collector.events())
        if (e.session_id === a.sessionId || e.session_id === b.sessionId)
          n.set(e.event_id, (n.get(e.event_id) ?? 0) + 1);
      return n;
    };
    while (Date.now() < deadline && !all.every((id) => count().has(id))) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 1000)); // a duplicate would arrive meanwhile
    const n = count();
    expect(all.filter((id) => !n.has(id))).toEqual([]);
    expect([...n.values()].every((c) => c === 1)).toBe(true);
    // The closed tab's view end, made on pagehide while offline, was adopted and delivered too.
    const endB = collector.events().find((e) => e.session_id === b.sessionId && e.event_type === "playback.view_end");
    expect((endB as Extract<WireEvent, { event_type: "playback.view_end" }> | undefined)?.reason).toBe("page_hide");
    // Every queue drains and its key goes: the adopted one at once, tab a's own once its next
    // flush (every 300 ms) has sent what it made meanwhile (a live tab keeps making events).
    const queues = () =>
      a.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("reeltime.queue.")));
    const drainedBy = Date.now() + 10_000;
    while (Date.now() < drainedBy && (await queues()).length > 0) await new Promise((r) => setTimeout(r, 100));
    expect(await queues()).toEqual([]);
    expect(collector.rejected).toEqual([]);
  });
});

const types = (events: WireEvent[]) =>
  events
    .filter((e) => !NOISE.has(e.event_type) && !["playback.rendition_switch", "playback.error"].includes(e.event_type))
    .map((e) => e.event_type);

declare global {
  interface Window {
    setup(o: { endpoint: string; writeKey: string; flushIntervalMs: number; maxBatchEvents?: number }): string;
    play(): Promise<boolean>;
    marks: { waiting: number[]; playing: number[]; requested: number[] };
    made: string[];
    fragLevels: number[];
    shown: { sizes: string[]; stopwatchMs: number; frames: number };
    t: {
      tracker: import("../src/types.ts").Tracker;
      hls: { autoLevelCapping: number; loadLevel: number };
      video: HTMLVideoElement;
      att: import("../src/types.ts").Attachment;
      video_: { id: string; title: string };
    };
  }
}
