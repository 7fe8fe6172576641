// Integration tier (issue 21): `reeltime dev --edge` plays the sample through the local edge.
// Debian's nginx with proxy_cache in front of the media bucket, logging in CloudFront's real-time
// layout; the edge shipper puts each line on the local Kinesis stream; dev's CDN real-time
// consumer, delivery processor and sessionizer give the view its cdn_* fields. The demo page
// (hls.js with CMCD, sid = the view id, and the SDK) plays a fresh clip twice in headless
// Chromium: the first view fetches every object from the origin, the second from the cache. The
// clip is 40 s and the page buffers 8 s through the edge, so segments are fetched after the view started:
// the sessionizer joins CDN totals only to a view it has seen (the delivery summaries that reach
// it before the view's first SDK event are dropped; the later running totals carry them). The
// expected figures are counted independently, from what the browser fetched from the edge (each
// finished request's CMCD sid and the edge's X-Cache answer), never by the production code.
// Of the second view's requests, the segments must be HITs; its manifests (max-age=1) may be
// revalidated.
//
// Needs `npx reeltime infra up` (seaweedfs, kinesis, nginx, edge-shipper), ffmpeg and Chromium.
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ViewRecord } from "@reeltime/events";
import { CHROMIUM, LOCAL_ENDPOINTS } from "@reeltime/infra";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevHandle, startDev } from "../src/dev/server.ts";

const run = randomUUID().slice(0, 8);
let dir: string;
let dev: DevHandle;
let browser: Browser | undefined;
const lines: string[] = [];

beforeAll(async () => {
  delete process.env.REELTIME_PG_URL;
  dir = await mkdtemp(join(tmpdir(), "reeltime-dev-edge-int-"));
  // A short clip with a name of its own: its video id, hence its keys in the edge's cache, are new.
  const clip = join(dir, `edge-${run}.mp4`);
  const ff = spawnSync(
    "ffmpeg",
    [
      ...["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=40"],
      ...["-f", "lavfi", "-i", "sine=frequency=440:duration=40", "-c:v", "libx264", "-pix_fmt", "yuv420p"],
      ...["-c:a", "aac", "-shortest", clip],
    ],
    { encoding: "utf8" },
  );
  if (ff.status !== 0) throw new Error(`ffmpeg: ${ff.stderr}`);
  dev = await startDev({
    port: 0,
    host: "127.0.0.1",
    dataDir: join(dir, "data"),
    video: clip,
    edge: { group: `dev-edge-${run}` },
    tuning: { indexer: { maxDelayMs: 200 }, archiver: { maxAgeMs: 30_000 }, snapshotEveryMs: 200 },
    print: (l) => lines.push(l),
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await dev?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Fetched {
  url: string;
  sid: string | undefined;
  cache: string;
  status: number;
}

/** Plays the demo page's sample to the end; returns what the page fetched from the edge. */
async function playOnce(page: Page): Promise<{ viewId: string; fetched: Fetched[] }> {
  const fetched: Fetched[] = [];
  const pending: Promise<void>[] = [];
  const onFinished = (req: import("playwright-core").Request) => {
    if (!req.url().startsWith(LOCAL_ENDPOINTS.edge.url)) return;
    pending.push(
      (async () => {
        const res = await req.response();
        const cmcd = new URL(req.url()).searchParams.get("CMCD") ?? "";
        const sid = /(?:^|,)sid="([^"]+)"/.exec(cmcd)?.[1];
        fetched.push({
          url: new URL(req.url()).pathname,
          sid,
          cache: res?.headers()["x-cache"] ?? "",
          status: res?.status() ?? 0,
        });
      })(),
    );
  };
  page.on("requestfinished", onFinished);
  await page.goto(`${dev.url}/demo`);
  await page.waitForFunction('document.getElementById("player").readyState >= 2', undefined, { timeout: 60_000 });
  await page.evaluate('document.getElementById("player").playbackRate = 4; document.getElementById("player").play()');
  await page.waitForFunction('document.getElementById("player").ended', undefined, { timeout: 90_000 });
  // The page is left for a blank one: the tracker ends the view and flushes.
  await page.goto("about:blank");
  page.off("requestfinished", onFinished);
  await Promise.all(pending);
  const sids = new Set(fetched.map((f) => f.sid));
  expect([...sids]).toHaveLength(1);
  const viewId = [...sids][0];
  expect(viewId).toBeTruthy();
  return { viewId: viewId!, fetched };
}

async function viewWithCdn(viewId: string, requests: number): Promise<ViewRecord> {
  const deadline = Date.now() + 60_000;
  let record: ViewRecord | undefined;
  while (Date.now() < deadline) {
    record = await dev.search.getView(viewId);
    if (record?.cdn_requests === requests && record.ended_at) return record;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `view ${viewId}: cdn_requests ${record?.cdn_requests} (expected ${requests}) after 60 s; on dev's bus: ${JSON.stringify(await onBus(viewId))}`,
  );
}

/** Where the chain broke: the view's messages on dev's bus (cdn requests, delivery summaries). */
async function onBus(viewId: string): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  const decoder = new TextDecoder();
  const sub = await dev.bus.consume({
    group: `dev-edge-debug-${randomUUID()}`,
    topics: ["reeltime.cdn", "reeltime.playback"],
    start: "earliest",
    handler: async (batch) => {
      for (const m of batch.messages) {
        const text = decoder.decode(m.value);
        if (!text.includes(viewId)) continue;
        const type = /"event_type":"([^"]+)"/.exec(text)?.[1] ?? "?";
        if (process.env.DEBUG_EDGE) console.log(m.topic, m.partition, m.offset, m.key, text.slice(0, 600));
        seen[`${m.topic} ${type}`] = (seen[`${m.topic} ${type}`] ?? 0) + (text.match(/"event_type"/g)?.length ?? 1);
      }
    },
  });
  await new Promise((r) => setTimeout(r, 3000));
  await sub.stop();
  return seen;
}

describe("reeltime dev --edge", { timeout: 400_000 }, () => {
  it("the demo page plays through the edge, and each view's cdn_* fields count its requests", async () => {
    expect(dev.videoId).toBeTruthy();
    expect(dev.edgeUrl).toBe(LOCAL_ENDPOINTS.edge.url);
    expect(lines.some((l) => l.startsWith(`publishing media/${dev.videoId}/`))).toBe(true);
    const html = await (await fetch(`${dev.url}/demo`)).text();
    expect(html).toContain(`"edge":"${LOCAL_ENDPOINTS.edge.url}"`);

    browser = await chromium.launch({ executablePath: CHROMIUM.executablePath, args: [...CHROMIUM.args] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));

    const first = await playOnce(page);
    const second = await playOnce(page);
    expect(errors).toEqual([]);
    expect(second.viewId).not.toBe(first.viewId);
    for (const f of [...first.fetched, ...second.fetched]) expect(f.status).toBe(200);
    // The first view: the manifests and the 40 s of segments (2 s each) of at least one rendition.
    expect(first.fetched.length).toBeGreaterThanOrEqual(22);
    // Served from the cache, as CloudFront counts a hit: nginx's HIT, STALE and UPDATING (a Hit)
    // and REVALIDATED (an expired manifest checked with the origin: a RefreshHit).
    const hits = (f: Fetched[]) => f.filter((x) => /^(HIT|STALE|UPDATING|REVALIDATED)$/.test(x.cache)).length;
    // A fresh clip: nothing of the first view was in the cache yet.
    expect(hits(first.fetched)).toBe(0);
    // The second view plays the same objects: its segments come from the cache.
    const segments = second.fetched.filter((x) => !x.url.endsWith(".m3u8"));
    expect(segments.length).toBeGreaterThanOrEqual(20);
    expect(segments.filter((x) => x.cache === "HIT")).toHaveLength(segments.length);

    const a = await viewWithCdn(first.viewId, first.fetched.length);
    const b = await viewWithCdn(second.viewId, second.fetched.length);
    expect(a).toMatchObject({ app_id: dev.appId, video_id: dev.videoId, cdn_cache_hits: 0, cdn_errors: 0 });
    expect(b).toMatchObject({ app_id: dev.appId, video_id: dev.videoId, cdn_cache_hits: hits(second.fetched) });
    expect(b.cdn_cache_hits!).toBeGreaterThan(0);
    for (const r of [a, b]) expect(r.cdn_pops).toEqual([LOCAL_ENDPOINTS.edge.location]);
  });
});
