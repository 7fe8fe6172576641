// Sampling is reweighted: 3,000 views of which the players kept a quarter (sample_rate 0.25)
// go through the real archivers; the named queries must give the totals of all 3,000 within
// the sampling error. The truth and the error bounds are computed here from the population.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindParams, loadNamedQueries, type NamedQuery } from "../src/queries/catalog.ts";
import { runQuery } from "../src/run.ts";
import { view } from "./fixtures.ts";
import { archiveWithProcessors, type Harness } from "./harness.ts";

const N = 3000;
const RATE = 0.25;

/** A deterministic pseudo-random stream (mulberry32), so the population is the same every run. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Truth {
  id: string;
  ebvs: boolean;
  playingMs: number;
  kept: boolean;
}

const random = rng(20261203);
const population: Truth[] = Array.from({ length: N }, (_, i) => {
  const ebvs = random() < 0.2;
  return { id: `s-${i}`, ebvs, playingMs: ebvs ? 0 : 10_000 + Math.floor(random() * 110_000), kept: random() < RATE };
});
const kept = population.filter((v) => v.kept);

function events() {
  return kept.flatMap((v, i) => {
    const start = Date.parse("2026-11-20T10:00:00.000Z") + i * 1000;
    const at = (ms: number) => new Date(start + ms).toISOString();
    const rate = { sample_rate: RATE };
    return v.ebvs
      ? view(v.id, "vid-a", "Chrome", [
          { at: at(0), type: "playback.view_start", fields: rate },
          {
            at: at(5000),
            type: "playback.view_end",
            fields: { ...rate, reason: "page_hide", stats: { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 } },
          },
        ])
      : view(v.id, "vid-a", "Chrome", [
          { at: at(0), type: "playback.view_start", fields: rate },
          { at: at(800), type: "playback.startup_complete", fields: { ...rate, startup_ms: 800 } },
          {
            at: at(800 + v.playingMs),
            type: "playback.view_end",
            fields: { ...rate, reason: "ended", stats: { playing_ms: v.playingMs, rebuffer_ms: 0, rebuffer_count: 0 } },
          },
        ]);
  });
}

let h: Harness;
let queries: Map<string, NamedQuery>;
beforeAll(async () => {
  queries = await loadNamedQueries();
  const evs = events();
  h = await archiveWithProcessors(evs, { "events/event_type=playback/": evs.length, "records/views/": kept.length });
}, 180_000);
afterAll(async () => h?.close());

const named = async (name: string, params: Record<string, string>) => {
  const q = queries.get(name)!;
  return (await runQuery(h.engine, { sql: q.sql, params: bindParams(q, params) })).rows;
};
/** Four standard errors of a Horvitz–Thompson total of `values` under Bernoulli sampling at RATE. */
const bound = (values: number[]) => 4 * Math.sqrt((values.reduce((s, x) => s + x * x, 0) * (1 - RATE)) / RATE);
const DAYS = { from_dt: "2026-11-20", to_dt: "2026-11-21" };

describe("named queries over a 25 % sample", () => {
  it("qoe: views and exits before start are the population's within the sampling error", async () => {
    const rows = await named("qoe", DAYS);
    const views = rows.reduce((s, r) => s + Number(r.views), 0);
    const ebvs = rows.reduce((s, r) => s + (Number(r.ebvs_pct) / 100) * Number(r.views), 0);
    const trueEbvs = population.filter((v) => v.ebvs).length;
    expect(Math.abs(views - N)).toBeLessThanOrEqual(bound(population.map(() => 1)));
    expect(Math.abs(ebvs - trueEbvs)).toBeLessThanOrEqual(bound(population.map((v) => (v.ebvs ? 1 : 0))) + 1);
    // Unweighted, the sample would claim about a quarter of the views: far outside the bound.
    expect(Math.abs(kept.length - N)).toBeGreaterThan(bound(population.map(() => 1)));
    // Each kept view stands for exactly 4.
    expect(views).toBe(kept.length * 4);
  });

  it("top_videos: playing time is the population's within the sampling error", async () => {
    const [row] = await named("top_videos", { ...DAYS, top_n: "5" });
    const truth = population.reduce((s, v) => s + v.playingMs, 0);
    expect(Math.abs(Number(row!.playing_ms) - truth)).toBeLessThanOrEqual(bound(population.map((v) => v.playingMs)));
    expect(Number(row!.views)).toBe(kept.length * 4);
  });

  it("concurrent_viewers: counts a sampled viewer 4 times", async () => {
    const rows = await named("concurrent_viewers", DAYS);
    const peak = Math.max(...rows.map((r) => Number(r.peak_viewers)));
    expect(peak % 4).toBe(0);
    expect(peak).toBeGreaterThanOrEqual(4);
  });
});
