// Integration tier (ffmpeg, headless Chromium; the embedded default, no services): `reeltime dev`
// runs a test-source live stream (startDev's `live`), serves it from the archive at
// /media/live/<name>/, and the demo page's `?live=<name>` plays it in hls.js as a live stream:
// two levels, the playhead moving, a program date time at the playhead a few seconds behind the
// wall clock.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM } from "@reeltime/infra";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevHandle, startDev } from "../src/dev/server.ts";

let dir: string;
let dev: DevHandle;
let browser: Browser | undefined;

beforeAll(async () => {
  // The embedded default throughout: the catalogue on PGlite, not the integration tier's PostgreSQL.
  delete process.env.REELTIME_PG_URL;
  dir = await mkdtemp(join(tmpdir(), "reeltime-dev-live-int-"));
  dev = await startDev({
    port: 0,
    host: "127.0.0.1",
    dataDir: join(dir, "data"),
    video: false,
    live: "demo",
    print: () => undefined,
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await dev?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("reeltime dev's live stream", { timeout: 120_000 }, () => {
  it("is served from the archive and the demo page plays it live", async () => {
    expect(dev.liveName).toBe("demo");
    let master: Response | undefined;
    for (let i = 0; i < 60 && master?.status !== 200; i++) {
      master = await fetch(`${dev.url}/media/live/demo/master.m3u8`);
      if (master.status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(master!.status).toBe(200);
    expect(master!.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    expect(master!.headers.get("cache-control")).toBe("no-cache");
    const media = await (await fetch(`${dev.url}/media/live/demo/360p/index.m3u8`)).text();
    expect(media).toContain("#EXT-X-PROGRAM-DATE-TIME:");
    expect(media).not.toContain("#EXT-X-ENDLIST");

    const page0 = await (await fetch(`${dev.url}/demo`)).text();
    expect(page0).toContain('href="/demo?live=demo"');

    browser = await chromium.launch({ executablePath: CHROMIUM.executablePath, args: [...CHROMIUM.args] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${dev.url}/demo?live=demo`);
    // The page loads the stream; playing is the viewer's click (muted, so autoplay may start it).
    await page.waitForFunction('document.getElementById("player").readyState >= 2', undefined, { timeout: 60_000 });
    await page.evaluate('document.getElementById("player").play()');
    await page.waitForFunction(
      'document.getElementById("player").currentTime > 3 && !document.getElementById("player").paused',
      undefined,
      { timeout: 60_000 },
    );
    const state = await page.evaluate(() => {
      // `hls` is the demo page's own player (a top-level binding of its script).
      const h = (globalThis as unknown as { eval(s: string): unknown }).eval("hls") as {
        levels: unknown[];
        playingDate: Date | null;
        latencyController?: unknown;
        latency: number;
        url: string;
        levels_live?: boolean;
      };
      const details = (h as unknown as { levels: { details?: { live: boolean } }[] }).levels.map(
        (l) => l.details?.live,
      );
      return {
        levels: h.levels.length,
        live: details.filter((x) => x !== undefined),
        url: h.url,
        latencyMs: h.playingDate ? Date.now() - h.playingDate.getTime() : null,
        edgeDistance: h.latency,
      };
    });
    expect(state.url).toContain("/media/live/demo/master.m3u8");
    expect(state.levels).toBe(2);
    expect(state.live.length).toBeGreaterThan(0);
    expect(state.live.every((x) => x === true)).toBe(true);
    // Live latency (wall clock minus the PDT at the playhead): hls.js starts 3 target durations
    // behind the edge, so about 6-10 s here.
    expect(state.latencyMs).not.toBeNull();
    expect(state.latencyMs!).toBeGreaterThan(1000);
    expect(state.latencyMs!).toBeLessThan(20_000);
    expect(errors).toEqual([]);
  });
});
