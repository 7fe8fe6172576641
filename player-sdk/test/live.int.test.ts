// Live views in a real browser (issue 21): Debian's Chromium (headless, playwright-core) plays a
// live HLS ladder from Debian's ffmpeg (pipeline's startLiveForTest: test source, 2 s segments,
// PROGRAM-DATE-TIME on every segment, sliding window) with hls.js and the SDK's IIFE bundles,
// served from 127.0.0.1 (test/browser/live-server.ts). Events go through the real ingest API
// (test/browser/collector.ts). The SDK's figures are checked against references it does not compute:
// - the page's own latency (its Date.now() minus the PDT it parsed from the playlist text at the
//   playhead), noted in the same task as each SDK event that carries `live`;
// - a known extra publication delay: one encoder, served as published (D = 0) and 4000 ms late
//   (each playlist version visible 4 s after it was written), played side by side;
// - the page's stopwatch (performance.now) for stalls and for time at a playback rate above 1.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM } from "@reeltime/infra";
import { type LiveForTest, startLiveForTest } from "@reeltime/pipeline";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildBundles, root } from "../scripts/bundles.ts";
import type { LiveStats, WireEvent } from "../src/contract.ts";
import { type Collector, startCollector } from "./browser/collector.ts";
import { LIVE_PAGE } from "./browser/live-page.ts";
import { type LiveServer, startLiveServer, streamRoot } from "./browser/live-server.ts";

const APP_ID = "browser-test";
const WRITE_KEY = "wk_browser_test_0123456789";
/** The known extra publication delay: two 2 s segments, so both players see the same publication phase. */
const D = 4000;

let work: string;
let live: LiveForTest;
let server: LiveServer;
let collector: Collector;
let context: BrowserContext | undefined;
let profile: string | undefined;

interface Sample {
  player: number;
  type: string;
  /** The page's performance.now() when the SDK made the event. */
  at: number;
  sdk: LiveStats;
  /** The page's own latency at that moment (null until it parsed the fragment's PDT). */
  page: number | null;
  rate: number;
  /** video.currentTime, seconds, at that moment. */
  media: number;
  state?: string;
}
interface Marks {
  waiting: number[];
  playing: number[];
  rate: [number, number][];
}
declare global {
  interface Window {
    liveSetup(o: object): string;
    livePlayAll(): Promise<boolean>;
    livePin(behindMs: number): void;
    liveSamples: Sample[];
    livePlayers: { marks: Marks; video: HTMLVideoElement; att: { viewId(): string | undefined } }[];
    liveTracker: { destroy(): Promise<void> };
  }
}

beforeAll(async () => {
  for (const bin of [CHROMIUM.executablePath, "/usr/bin/ffmpeg"])
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run \`reeltime infra up\` (it apt-installs chromium and ffmpeg)`);
  work = mkdtempSync(join(tmpdir(), "reeltime-sdk-live-"));
  // A window of 10 segments keeps the 4 s late player's segments published (and not yet deleted).
  [live] = await Promise.all([
    startLiveForTest({ dir: join(work, "data"), window: 10 }),
    buildBundles(join(work, "sdk")),
  ]);
  server = await startLiveServer(
    streamRoot(live.masterFile!),
    { "/sdk/": join(work, "sdk"), "/lib/": join(root, "../node_modules/hls.js/dist") },
    { "/": LIVE_PAGE },
  );
  collector = await startCollector({ appId: APP_ID, writeKey: WRITE_KEY, origins: [server.url] });
  // D ms of playlist history before the late player can start.
  await new Promise((r) => setTimeout(r, D + 2500));
}, 120_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  await collector?.close();
  await live?.stop().catch(() => undefined);
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
    args: [...CHROMIUM.args, "--autoplay-policy=no-user-gesture-required"],
  });
});

async function openLive(o: { delays: number[]; heartbeatMs: number; maxLiveSyncPlaybackRate?: number }): Promise<Page> {
  const page = await context!.newPage();
  await page.goto(`${server.url}/`);
  await page.evaluate((opts) => window.liveSetup(opts), {
    endpoint: collector.url,
    writeKey: WRITE_KEY,
    heartbeatMs: o.heartbeatMs,
    sources: o.delays.map((d) => `/d${d}/master.m3u8`),
    ...(o.maxLiveSyncPlaybackRate ? { maxLiveSyncPlaybackRate: o.maxLiveSyncPlaybackRate } : {}),
  });
  await page.evaluate(() => window.livePlayAll());
  return page;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const byView = (viewId: string) =>
  collector
    .events()
    .filter((e) => e.view_id === viewId)
    .sort((a, b) => a.seq - b.seq);
const ofType = <T extends WireEvent["event_type"]>(events: WireEvent[], type: T) =>
  events.filter((e): e is Extract<WireEvent, { event_type: T }> => e.event_type === type);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

describe("live views in a real browser", () => {
  it("latency equals the page's own (PDT from the playlist text) and grows by a known 4 s publication delay", async () => {
    // Where hls.js puts the playhead depends on how long ago the newest segment was published when
    // it loaded the playlist (0 to 2 s), and startup time adds to latency too. So, once both play,
    // the page puts each playhead 6 s behind the true live edge it may see (its newest visible
    // segment's end plus the time since the server made it visible, all on the page's own figures);
    // from there, at rate 1, the late player's latency must be D more.
    const page = await openLive({ delays: [0, D], heartbeatMs: 1000 });
    await page.waitForFunction(() => window.livePlayers.every((p) => p.video.currentTime > 0 && !p.video.paused));
    await sleep(4000);
    const pinnedAt = await page.evaluate(() => {
      window.livePin(6000);
      return performance.now();
    });
    await sleep(14_000);
    const viewIds = await page.evaluate(() => window.livePlayers.map((p) => p.att.viewId()!));
    await page.evaluate(() => window.liveTracker.destroy());
    const samples = await page.evaluate(() => window.liveSamples);
    const ends = await Promise.all(
      viewIds.map((id) =>
        collector.waitFor((e) => e.view_id === id && e.event_type === "playback.view_end", "view_end"),
      ),
    );
    expect(collector.rejected).toEqual([]);

    for (const [i, id] of viewIds.entries()) {
      const events = byView(id);
      // Every event from the first that says live on (before hls.js loaded the level playlist, the
      // view_start and the requests it replays may not know yet), heartbeats and view_end included.
      const first = events.findIndex((e) => e.video?.stream_type === "live");
      expect(first).toBeGreaterThanOrEqual(0);
      expect(events.slice(first).filter((e) => e.video?.stream_type !== "live")).toEqual([]);
      expect(ofType(events, "playback.heartbeat").every((e) => e.video.stream_type === "live" && e.live)).toBe(true);
      expect(ofType(events, "playback.milestone")).toEqual([]);
      // (1) The SDK's latency against the page's, at the same instant: within 20 ms on every heartbeat.
      const hb = samples.filter((s) => s.player === i && s.type === "playback.heartbeat" && s.state === "playing");
      const compared = hb.filter((s) => s.page !== null && s.sdk.latency_ms !== undefined);
      expect(compared.length, `player ${i}: heartbeats compared`).toBeGreaterThanOrEqual(8);
      const worst = Math.max(...compared.map((s) => Math.abs(s.sdk.latency_ms! - s.page!)));
      expect(worst, `player ${i}: |SDK − page| latency, ms`).toBeLessThanOrEqual(20);
      // Edge distance is behind the latency by the packaging delay; behind live is beyond the target.
      for (const s of compared) {
        expect(s.sdk.edge_distance_ms!).toBeLessThan(s.sdk.latency_ms!);
        expect(s.sdk.behind_live_ms).toBe(Math.max(0, s.sdk.edge_distance_ms! - s.sdk.target_latency_ms!));
      }
    }
    // (2) The known delay: after the pin (the last 5 heartbeats, rate 1), the late player's latency
    // is D more, on the SDK's figures and on the page's own.
    const settled = (i: number) =>
      samples
        .filter(
          (s) => s.player === i && s.type === "playback.heartbeat" && s.state === "playing" && s.at > pinnedAt + 2000,
        )
        .slice(-5);
    for (const i of [0, 1]) {
      const e = ends[i] as Extract<WireEvent, { event_type: "playback.view_end" }>;
      console.info(
        `player ${i}: startup ${e.stats.startup_ms} ms, catch-up ${e.live?.catchup_ms} ms, rebuffers ${e.stats.rebuffer_count}, latency ${samples
          .filter((s) => s.player === i && s.type === "playback.heartbeat")
          .map((s) => s.sdk.latency_ms)
          .join(",")}`,
      );
      expect(settled(i).every((s) => s.rate === 1)).toBe(true);
    }
    const sdkDelta =
      median(settled(1).map((s) => s.sdk.latency_ms!)) - median(settled(0).map((s) => s.sdk.latency_ms!));
    const pageDelta = median(settled(1).map((s) => s.page!)) - median(settled(0).map((s) => s.page!));
    console.info(`latency, pinned: D=${D} minus D=0: SDK Δ ${sdkDelta} ms, page Δ ${pageDelta.toFixed(1)} ms`);
    expect(Math.abs(sdkDelta - D)).toBeLessThanOrEqual(250);
    expect(Math.abs(pageDelta - D)).toBeLessThanOrEqual(250);
  }, 90_000);

  it("counts a live stall as on demand: one rebuffer as long as the page's stopwatch; latency grows by it", async () => {
    const page = await openLive({ delays: [0], heartbeatMs: 500 });
    await page.waitForFunction(() => window.livePlayers[0]!.video.currentTime > 2);
    const viewId = (await page.evaluate(() => window.livePlayers[0]!.att.viewId()))!;
    const waitsBefore = await page.evaluate(() => window.livePlayers[0]!.marks.waiting.length);
    const hold = server.holdSegments();
    await hold.requested;
    // The buffer (~6 s to the edge) runs dry; then the segments stay held 1.5 s into the stall.
    await page.waitForFunction((n) => window.livePlayers[0]!.marks.waiting.length > n, waitsBefore, {
      timeout: 30_000,
    });
    await sleep(1500);
    hold.release();
    const end = (await collector.waitFor(
      (e) => e.view_id === viewId && e.event_type === "playback.rebuffer_end",
      "rebuffer_end",
      30_000,
    )) as Extract<WireEvent, { event_type: "playback.rebuffer_end" }>;
    await sleep(3000);
    await page.evaluate(() => window.liveTracker.destroy());
    const marks = await page.evaluate(() => window.livePlayers[0]!.marks);
    const samples = (await page.evaluate(() => window.liveSamples)).filter((s) => s.player === 0);
    const viewEnd = (await collector.waitFor(
      (e) => e.view_id === viewId && e.event_type === "playback.view_end",
      "view_end",
    )) as Extract<WireEvent, { event_type: "playback.view_end" }>;

    const stallAt = marks.waiting[waitsBefore]!;
    const resumedAt = marks.playing.find((t) => t > stallAt)!;
    console.info(`live stall: SDK ${end.duration_ms} ms, page ${(resumedAt - stallAt).toFixed(1)} ms`);
    expect(end.duration_ms).toBeGreaterThanOrEqual(1400);
    expect(Math.abs(end.duration_ms - (resumedAt - stallAt))).toBeLessThan(100);
    expect(ofType(byView(viewId), "playback.rebuffer_start")).toHaveLength(1);
    expect(viewEnd.stats).toMatchObject({ rebuffer_count: 1 });
    expect(Math.abs(viewEnd.stats.rebuffer_ms - end.duration_ms)).toBeLessThanOrEqual(1);
    // Latency before the stall (last heartbeat playing) and after it (first heartbeat playing
    // again, rate 1, no catch-up configured): the playhead stood still while the clock ran.
    const before = samples
      .filter((s) => s.type === "playback.heartbeat" && s.state === "playing" && s.at < stallAt)
      .at(-1)!;
    const after = samples.find((s) => s.type === "playback.heartbeat" && s.state === "playing" && s.at > resumedAt)!;
    const grew = after.sdk.latency_ms! - before.sdk.latency_ms!;
    console.info(`latency grew by ${grew} ms across a ${(resumedAt - stallAt).toFixed(0)} ms stall`);
    expect(Math.abs(grew - (resumedAt - stallAt))).toBeLessThanOrEqual(250);
    expect(viewEnd.live!.catchup_ms).toBe(0);
  }, 90_000);

  it("catch-up: time at a rate above 1 equals the page's stopwatch, and the latency (still the page's own) falls", async () => {
    const page = await openLive({ delays: [0], heartbeatMs: 500, maxLiveSyncPlaybackRate: 1.5 });
    await page.waitForFunction(() => window.livePlayers[0]!.video.currentTime > 2);
    const viewId = (await page.evaluate(() => window.livePlayers[0]!.att.viewId()))!;
    const waitsBefore = await page.evaluate(() => window.livePlayers[0]!.marks.waiting.length);
    // A stall puts the player behind its target latency; hls.js then plays faster to catch up.
    const hold = server.holdSegments();
    await page.waitForFunction((n) => window.livePlayers[0]!.marks.waiting.length > n, waitsBefore, {
      timeout: 30_000,
    });
    await sleep(3000);
    hold.release();
    await page.waitForFunction(() => window.livePlayers[0]!.marks.rate.some(([, r]) => r > 1), undefined, {
      timeout: 20_000,
    });
    await page.waitForFunction(() => window.livePlayers[0]!.video.playbackRate === 1, undefined, { timeout: 60_000 });
    await sleep(1000);
    await page.evaluate(() => window.liveTracker.destroy());
    const { marks, endAt } = await page.evaluate(() => ({
      marks: window.livePlayers[0]!.marks,
      endAt: performance.now(),
    }));
    const viewEnd = (await collector.waitFor(
      (e) => e.view_id === viewId && e.event_type === "playback.view_end",
      "view_end",
    )) as Extract<WireEvent, { event_type: "playback.view_end" }>;

    // The page's stopwatch: time with playbackRate > 1 while playing (after `playing`, before `waiting`).
    const changes = [
      ...marks.rate.map(([t, r]) => ({ t, rate: r })),
      ...marks.waiting.map((t) => ({ t, playing: false })),
      ...marks.playing.map((t) => ({ t, playing: true })),
    ].sort((a, b) => a.t - b.t);
    let rate = 1;
    let playing = false;
    let last = 0;
    let fastMs = 0;
    let gainedMs = 0;
    for (const c of [...changes, { t: endAt }]) {
      if (playing && rate > 1) {
        fastMs += c.t - last;
        gainedMs += (rate - 1) * (c.t - last);
      }
      last = c.t;
      if ("rate" in c) rate = c.rate;
      if ("playing" in c) playing = c.playing;
    }
    const live = viewEnd.live!;
    console.info(`catch-up: SDK ${live.catchup_ms} ms in ${live.catchup_count} run(s), page ${fastMs.toFixed(0)} ms`);
    expect(fastMs).toBeGreaterThan(500);
    expect(Math.abs(live.catchup_ms - fastMs)).toBeLessThanOrEqual(250);
    expect(live.catchup_count).toBeGreaterThanOrEqual(1);
    // While hls.js plays faster, the SDK's latency still equals the page's own (PDT from the
    // playlist text at the playhead), and it falls: the last one is below the highest.
    const samples = (await page.evaluate(() => window.liveSamples)).filter(
      (s) => s.player === 0 && s.page !== null && s.sdk.latency_ms !== undefined,
    );
    const fast = samples.filter((s) => s.rate > 1);
    expect(fast.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...fast.map((s) => Math.abs(s.sdk.latency_ms! - s.page!)))).toBeLessThanOrEqual(20);
    const highest = Math.max(...samples.map((s) => s.sdk.latency_ms!));
    console.info(
      `latency: highest ${highest} ms, at the end ${live.latency_ms} ms (the rate gained ${gainedMs.toFixed(0)} ms on the page's stopwatch)`,
    );
    expect(live.latency_ms!).toBeLessThan(highest);
  }, 120_000);
});
