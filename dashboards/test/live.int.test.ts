// The built-in live page in headless Chromium against a real ingest app on the real
// Elasticsearch: the figures on screen match the seeded views and jobs, search finds a
// title with a typo, a new view appears without a reload, and a screenshot is kept.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Bus, createBus, createSearchStore, type SearchStore, type StoredEvent } from "@reeltime/connectors";
import { exampleEvent, type JobRecord, type ViewRecord } from "@reeltime/events";
import { CHROMIUM, endpointsFromEnv } from "@reeltime/infra";
import { buildApp, loadIngestConfig } from "@reeltime/ingest-api";
import { ConnectionEnv, createLogger, loadEnv } from "@reeltime/runtime";
import type { FastifyInstance } from "fastify";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunWindow, seedJobs, seedViews } from "./seed.ts";

const TOKEN = "rt_live_0123456789abcdef";
const OUTPUT = fileURLToPath(new URL("../test-output/", import.meta.url));
const MIN = 60_000;

const now = Date.now();
const run = Math.random().toString(36).slice(2, 8);
// The last 20 minutes: the page shows the last hour.
const w: RunWindow = {
  run,
  t0: Math.floor((now - 20 * MIN) / MIN) * MIN,
  from: 0,
  to: 0,
  app: `live-${run}`,
  other: `live-${run}-x`,
};

const stored = (e: object, at: string): StoredEvent =>
  ({ ...e, app_id: w.app, received_at: at }) as unknown as StoredEvent;
const viewStart = (v: ViewRecord, title: string) =>
  stored(
    {
      ...exampleEvent("playback.view_start", { now: new Date(v.started_at) }),
      view_id: v.view_id,
      session_id: v.session_id,
      video: { id: v.video_id, title },
    },
    v.started_at,
  );
const jobCreated = (j: JobRecord) => {
  const e = exampleEvent("job.created", { now: new Date(j.created_at) }) as unknown as Record<string, unknown>;
  return stored({ ...e, job: { id: j.job_id, status: "created" } }, j.created_at);
};

/** The views of seed.ts (v8 belongs to another app), v1 and v2 still playing. */
function views(): ViewRecord[] {
  return seedViews(w)
    .filter((v) => v.app_id === w.app)
    .map((v) => {
      if (!/-(v1|v2)$/.test(v.view_id)) return v;
      const { ended_at: _ended, ...rest } = v;
      return { ...rest, status: "active" as const, last_event_at: new Date(now - 5000).toISOString() };
    });
}

let dir: string;
let bus: Bus;
let store: SearchStore;
let app: FastifyInstance;
let base: string;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-live-"));
  const env = loadEnv(ConnectionEnv, {
    REELTIME_DATA_DIR: dir,
    REELTIME_SEARCH: "elasticsearch",
    REELTIME_ES_URL: endpointsFromEnv().elasticsearch.url,
  });
  bus = await createBus(env);
  store = await createSearchStore(env);
  await bus.start();
  await store.start();
  const seeded = views();
  const jobs = seedJobs(w);
  const titles = [
    "Sintel Trailer",
    "Big Buck Bunny",
    "Tears of Steel",
    "Elephants Dream",
    "Cosmos Laundromat",
    "Spring",
    "Agent 327",
  ];
  const r = await store.index([...seeded.map((v, i) => viewStart(v, titles[i]!)), ...jobs.map(jobCreated)]);
  expect(r.rejected).toEqual([]);
  await store.upsertViews(seeded);
  await store.upsertJobs(jobs);
  await store.refresh();

  const config = loadIngestConfig({
    REELTIME_READ_TOKENS: `*:${TOKEN}`,
    REELTIME_WRITE_KEYS: `${w.app}:wk_live_0123456789abcdef`,
  });
  app = await buildApp({ config, bus, search: store, logger: createLogger("live-test", { level: "warn" }) });
  await app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  context = await chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath: CHROMIUM.executablePath,
    headless: true,
    viewport: { width: 1400, height: 1500 },
    args: [...CHROMIUM.args],
  });
  page = context.pages()[0] ?? (await context.newPage());
  // Nothing but the ingest API: no CDN, no other host.
  await page.route("**/*", (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
}, 120_000);

afterAll(async () => {
  await context?.close();
  await app?.close();
  await store?.shutdown();
  await bus?.shutdown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const tile = (name: string) => page.locator(`[data-tile="${name}"]`);

describe("the live page", () => {
  it("shows the seeded QoE figures, jobs and last events; searches; updates without a reload", async () => {
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(`${base}/live#token=${TOKEN}&app=${w.app}&minutes=60`);

    // The seven views: startups 1, 2, 3, 4, 10 s; ratios 0.1, 0, 0.2, 0.05, 0.3; 2 failed; 1 EBVS; 3.4 Mb/s.
    await expect.poll(() => tile("views").textContent(), { timeout: 15_000 }).toBe("7");
    expect(await tile("concurrent_viewers").textContent()).toBe("2");
    expect(await tile("startup_p50_ms").textContent()).toBe("3.00 s");
    expect(await tile("startup_p95_ms").textContent()).toBe("8.80 s");
    expect(await tile("rebuffer_ratio").textContent()).toBe("13.0 %");
    expect(await tile("playback_failure_rate").textContent()).toBe("28.6 %");
    expect(await tile("ebvs_rate").textContent()).toBe("14.3 %");
    expect(await tile("avg_bitrate_bps").textContent()).toBe("3.40 Mb/s");

    // Views started per minute: one each at minutes 1, 2, 3, 6, 7, 8, 9 of the window.
    const started = (await page.locator("#chart-started").getAttribute("data-values"))!.split(",").map(Number);
    expect(started.reduce((a, b) => a + b, 0)).toBe(7);
    expect(started.filter((v) => v === 1)).toHaveLength(7);

    const byVideo = await page.locator("#by-video tr").allInnerTexts();
    expect(byVideo.slice(1).map((r) => r.split("\t"))).toEqual([
      ["vid-b", "4", "7.00 s", "25.0 %", "25.0 %"],
      ["vid-a", "3", "2.00 s", "33.3 %", "0.0 %"],
    ]);
    // Delivery (seed.ts): v1 AMS1 hits 0.95; v2 AMS1+FRA2 0.85; v3 FRA2 0.35; v4 FRA2 0.92.
    const byPop = await page.locator("#by-pop tr").allInnerTexts();
    expect(byPop.slice(1).map((r) => r.split("\t"))).toEqual([
      ["FRA2", "3", "70.7 %", "8.3 %", "3.00 s"],
      ["AMS1", "2", "90.0 %", "5.0 %", "1.50 s"],
    ]);
    const hitVsRebuffer = await page.locator("#hit-vs-rebuffer tr").allInnerTexts();
    expect(hitVsRebuffer.slice(1).map((r) => r.split("\t"))).toEqual([
      ["0–25 %", "0", "–"],
      ["25–50 %", "1", "20.0 %"],
      ["50–75 %", "0", "–"],
      ["75–100 %", "3", "5.0 %"],
    ]);
    expect(await page.locator("#job-counts").textContent()).toBe("completed 2 · failed 2 · running 1");
    const jobs = await page.locator("#jobs tr").allInnerTexts();
    expect(jobs).toHaveLength(6);
    expect(jobs[1]).toContain(`${run}-j5`);
    expect(jobs[1]).toContain("probe REELTIME_ERR_NOT_A_VIDEO");

    // Last events of the app, newest first: v7's view start.
    const events = await page.locator("#events tr").allInnerTexts();
    expect(events).toHaveLength(1 + 7 + 5);
    expect(events[1]).toContain("playback.view_start");
    expect(events[1]).toContain(`${run}-v7`);

    // Search with a typo finds the title.
    await page.fill("#q", "sintell");
    await page.click("#search button");
    await expect.poll(() => page.locator("#search-results tr").count(), { timeout: 10_000 }).toBeGreaterThan(1);
    expect(await page.locator("#search-results tr").nth(1).textContent()).toContain("Sintel Trailer");

    // A new view arrives: the page picks it up on its own.
    const v9: ViewRecord = {
      ...views()[0]!,
      view_id: `${run}-v9`,
      status: "ended",
      startup_ms: 5000,
      started_at: new Date(now - 60_000).toISOString(),
    };
    await store.index([viewStart(v9, "Sprite Fright")]);
    await store.upsertViews([v9]);
    await store.refresh();
    await expect.poll(() => tile("views").textContent(), { timeout: 15_000 }).toBe("8");
    // startups 1, 2, 3, 4, 5, 10 s: p50 at 2.5 → 3.5 s
    expect(await tile("startup_p50_ms").textContent()).toBe("3.50 s");

    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, "live.png"), fullPage: true });
    expect(requests.every((u) => u.startsWith(base))).toBe(true);
  });

  it.each([1280, 1920])(
    "lays out at %i px: no element overflows its panel, no panel overlaps another",
    async (width) => {
      await page.setViewportSize({ width, height: 1200 });
      // Names as long as real ones: a video id of the dev sample's kind and a browser with its version.
      const long: ViewRecord = {
        ...views()[0]!,
        view_id: `${run}-vlong`,
        video_id: "big-buck-bunny-4k-hdr-directors-cut-2026-remaster",
        browser: "Chrome Headless Shell",
        started_at: new Date(now - 90_000).toISOString(),
      };
      await store.index([viewStart(long, "Big Buck Bunny 4K HDR (director's cut)")]);
      await store.upsertViews([long]);
      await store.refresh();
      await page.goto(`${base}/live#token=${TOKEN}&app=${w.app}&minutes=60`);
      await expect
        .poll(() => page.locator("#by-video").textContent(), { timeout: 15_000 })
        .toContain("big-buck-bunny-4k");
      await expect.poll(() => page.locator("#jobs tr").count(), { timeout: 15_000 }).toBeGreaterThan(1);
      // Measured in the page (passed as text: this project compiles without DOM types).
      const problems = (await page.evaluate(`(() => {
      const out = [];
      const panels = [...document.querySelectorAll(".tile, figure, .tables > div, main > section:not(.tiles):not(.charts):not(.tables)")];
      const name = (el) => el.id ? "#" + el.id : (el.querySelector("h2, figcaption")?.textContent ?? el.tagName);
      for (const p of panels) {
        const box = p.getBoundingClientRect();
        for (const el of p.querySelectorAll("*")) {
          const r = el.getBoundingClientRect();
          if (r.width === 0 && r.height === 0) continue;
          if (r.right > box.right + 1 || r.left < box.left - 1)
            out.push(name(p) + ": " + el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " spans " + Math.round(r.left) + "-" + Math.round(r.right) + " outside " + Math.round(box.left) + "-" + Math.round(box.right));
        }
        // A cut-off figure is a hidden figure. A long name may end in an ellipsis, with the whole
        // name on hover; every other cell shows all of its text.
        for (const cell of p.querySelectorAll("td, th"))
          if (cell.scrollWidth > cell.clientWidth + 1 && !(cell.cellIndex === 0 && cell.title === cell.textContent))
            out.push(name(p) + ": cell '" + cell.textContent + "' is cut off");
      }
      for (let i = 0; i < panels.length; i++)
        for (let j = i + 1; j < panels.length; j++) {
          const a = panels[i].getBoundingClientRect(), b = panels[j].getBoundingClientRect();
          if (panels[i].contains(panels[j]) || panels[j].contains(panels[i])) continue;
          const overlap = Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
          if (overlap) out.push(name(panels[i]) + " overlaps " + name(panels[j]));
        }
      if (document.documentElement.scrollWidth > window.innerWidth) out.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " px");
      return out;
    })()`)) as string[];
      await mkdir(OUTPUT, { recursive: true });
      await page.screenshot({ path: join(OUTPUT, `live-${width}.png`), fullPage: true });
      expect(problems).toEqual([]);
    },
  );

  it("the stats endpoint refuses a request without a read token", async () => {
    const res = await fetch(`${base}/v1/stats`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("REELTIME_ERR_AUTH");
  });
});
