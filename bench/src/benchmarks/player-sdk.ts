import { readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { type BenchOptions, or } from "../options.ts";
import type { Result, Row } from "../report.ts";
import { round } from "../stats.ts";

const DIST = join(import.meta.dirname, "..", "..", "..", "player-sdk", "dist", "iife");
const BUNDLES = ["reeltime.min.js", "reeltime-hls.min.js", "reeltime-clicks.min.js"];
const CHROMIUM = "/usr/bin/chromium";

interface PageFigures {
  trackMs: number;
  stringifyMs: number;
  events: number;
  bytes: number;
}

/**
 * Bundle sizes (min, gzip -9, brotli) and the CPU time of one tracked event in headless
 * Chromium: performance.now() around N `tracker.send("click", …)` calls (envelope, ids,
 * queueing, batching; the network stubbed by an injected platform fetch), against a baseline of
 * JSON.stringify of the same events. Needs `npm run build -w player-sdk`.
 * Knobs: --events (calls per round, default 5000), --rounds.
 */
export async function playerSdk(o: BenchOptions): Promise<Result> {
  const n = or(o.events, 5000);
  const rows: Row[] = BUNDLES.map((file) => {
    const bytes = readFileSync(join(DIST, file));
    return {
      label: file,
      figures: {
        "min bytes": bytes.length,
        "gzip bytes": gzipSync(bytes, { level: 9 }).length,
        "brotli bytes": brotliCompressSync(bytes).length,
      },
    };
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const figures: PageFigures[] = [];
  try {
    const page = await browser.newPage();
    await page.setContent("<!doctype html><html><body></body></html>");
    await page.addScriptTag({ content: readFileSync(join(DIST, "reeltime.min.js"), "utf8") });
    for (let r = 0; r < o.rounds + 1; r++) {
      const f = await page.evaluate(async (count) => {
        const R = (globalThis as unknown as { Reeltime: Record<string, (...a: unknown[]) => unknown> }).Reeltime;
        const captured: unknown[] = [];
        const ok = () => new Response("{}", { status: 202, headers: { "content-type": "application/json" } });
        const platform = { ...(R.browserPlatform!() as object), fetch: async () => ok() };
        const make = (debug?: (m: string, d?: unknown) => void) =>
          R.createTracker!({
            endpoint: "http://ingest.bench.invalid",
            writeKey: "wk_bench_0123456789abcdef",
            appId: "bench",
            platform,
            store: R.memoryStore!(),
            ...(debug ? { debug } : {}),
          }) as { send: (t: "click", f: object) => void; destroy: () => Promise<void> };
        const click = (i: number) => ({
          click: {
            element_path: `main > div.grid > a.card:nth-child(${i % 50})`,
            target: "video_card",
            x: i % 1280,
            y: i % 720,
          },
        });
        // The baseline's input: the very events the tracker builds, captured through its debug hook.
        const capture = make((_m, d) => {
          if (d && typeof d === "object" && "event_id" in d) captured.push(d);
        });
        for (let i = 0; i < count; i++) capture.send("click", click(i));
        await capture.destroy();
        // Batches of 20 calls with a macrotask between them, as a page emits: the queue drains.
        const tracker = make();
        let trackMs = 0;
        for (let i = 0; i < count; i += 20) {
          const t = performance.now();
          for (let j = i; j < i + 20 && j < count; j++) tracker.send("click", click(j));
          trackMs += performance.now() - t;
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        await tracker.destroy();
        let bytes = 0;
        const t = performance.now();
        for (const e of captured) bytes += JSON.stringify(e).length;
        const stringifyMs = performance.now() - t;
        return { trackMs, stringifyMs, events: captured.length, bytes };
      }, n);
      if (r > 0) figures.push(f);
      o.log(
        `  round ${r}${r === 0 ? " (warm-up)" : ""}: ${round((f.trackMs * 1000) / n)} µs/event tracked, ${round((f.stringifyMs * 1000) / n)} µs/event stringify`,
      );
    }
  } finally {
    await browser.close();
  }
  const best = (k: "trackMs" | "stringifyMs") => Math.min(...figures.map((f) => f[k]));
  const track = (best("trackMs") * 1000) / n;
  const stringify = (best("stringifyMs") * 1000) / n;
  const version = (await chromium.launch({ executablePath: CHROMIUM }).then(async (b) => {
    const v = b.version();
    await b.close();
    return v;
  })) as string;
  rows.push(
    { label: "tracker.send (µs CPU per event)", figures: { "µs/event": round(track, 2), events: n } },
    { label: "baseline JSON.stringify (µs per event)", figures: { "µs/event": round(stringify, 2), events: n } },
  );
  return {
    name: "player-sdk",
    title: "Player SDK: bundle sizes and CPU time per event in headless Chromium",
    workload: {
      chromium: version,
      eventsPerRound: n,
      rounds: o.rounds,
      event: "click, with envelope (ids, page, session)",
      pacing: "20 calls, then a macrotask",
      avgEventBytes: Math.round(figures[0]!.bytes / figures[0]!.events),
    },
    rows,
    ratio: { figure: "CPU per event, tracker ÷ JSON.stringify", value: round(track / stringify, 2) },
    goal: { text: "reported" },
    notes: ["Best of the rounds (the least disturbed by other work on the machine)."],
  };
}
