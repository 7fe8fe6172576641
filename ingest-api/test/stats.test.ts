// GET /v1/stats (the live view's figures) weights sampled views: a record kept at sample rate
// 0.25 stands for 4 views in every count, share and series. Expected figures are computed here.
import type { StoredEvent } from "@reeltime/connectors";
import { exampleEvent, type ViewRecord } from "@reeltime/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, harness, READ_TOKEN } from "./helpers.ts";

let h: Harness;
const now = Date.now();
const startedAt = new Date(now - 5 * 60_000).toISOString();

function record(
  i: number,
  o: { rate: number; ebvs: boolean; startup?: number; cdn?: { hit: number; pops: string[]; rebuffer: number } },
): ViewRecord {
  const base = {
    view_id: `w-${i}`,
    session_id: `s-${i}`,
    app_id: "shop",
    video_id: "vid",
    browser: "Chrome",
    status: "ended",
    started_at: startedAt,
    ended_at: startedAt,
    last_event_at: startedAt,
    updated_at: startedAt,
    events: 3,
    last_seq: 2,
    reached_first_frame: !o.ebvs,
    ebvs: o.ebvs,
    startup_failure: false,
    playback_failure: false,
    non_fatal_errors: 0,
    business_errors: 0,
    playing_ms: 1000,
    watch_ms: 1000,
    paused_ms: 0,
    rebuffer_count: 0,
    rebuffer_ms: 0,
    rebuffer_ratio: 0,
    rebuffer_frequency: 0,
    seek_count: 0,
    seek_latency_ms: 0,
    rendition_switches: 0,
    switches_up: 0,
    switches_down: 0,
    dropped_frames: 0,
    max_milestone: 0,
    requests: 0,
    request_failures: 0,
    smoothness_score: 100,
    playback_success_score: o.ebvs ? 50 : 100,
    sample_rate: o.rate,
    weight: 1 / o.rate,
    ...(o.startup === undefined ? {} : { startup_ms: o.startup }),
    ...(o.cdn
      ? { cdn_requests: 10, cdn_cache_hit_ratio: o.cdn.hit, cdn_pops: o.cdn.pops, rebuffer_ratio: o.cdn.rebuffer }
      : {}),
  };
  return base as ViewRecord;
}

// Four views sampled at 0.25 (two of them exits before start), four kept at 1 (none).
const views = [
  record(0, { rate: 0.25, ebvs: true }),
  record(1, { rate: 0.25, ebvs: true }),
  record(2, { rate: 0.25, ebvs: false, startup: 4000, cdn: { hit: 0.9, pops: ["AMS1"], rebuffer: 0.1 } }),
  record(3, { rate: 0.25, ebvs: false, startup: 4000 }),
  record(4, { rate: 1, ebvs: false, startup: 1000, cdn: { hit: 0.8, pops: ["AMS1", "FRA2"], rebuffer: 0 } }),
  record(5, { rate: 1, ebvs: false, startup: 1000, cdn: { hit: 0.3, pops: ["FRA2"], rebuffer: 0.2 } }),
  record(6, { rate: 1, ebvs: false, startup: 1000 }),
  record(7, { rate: 1, ebvs: false, startup: 1000 }),
];

beforeAll(async () => {
  h = await harness();
  const starts = views.map(
    (v) =>
      ({
        ...exampleEvent("playback.view_start", { now: new Date(startedAt) }),
        app_id: "shop",
        view_id: v.view_id,
        received_at: startedAt,
      }) as StoredEvent,
  );
  await h.search.index(starts);
  await h.search.upsertViews(views);
  await h.search.refresh();
});
afterAll(() => h.close());

describe("GET /v1/stats weights sampled views", () => {
  it("counts, shares, percentiles and series count a 25 % view four times", async () => {
    const res = await h.app.inject({
      method: "GET",
      url: "/v1/stats?minutes=60",
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json() as {
      tiles: Record<string, number | null>;
      series: { started: number[] };
      breakdowns: { video: { key: string; views: number }[] };
    };
    const weights = views.map((v) => 1 / v.sample_rate!);
    const total = weights.reduce((a, b) => a + b, 0); // 4·4 + 4·1 = 20
    const ebvs = views.reduce((a, v, i) => a + (v.ebvs ? weights[i]! : 0), 0); // 8
    expect(s.tiles.views).toBe(total);
    expect(s.tiles.ebvs_rate).toBeCloseTo(ebvs / total, 10);
    // Startups: eight views at 4000 ms (two records × 4) and four at 1000 ms: the median is 4000.
    expect(s.tiles.startup_p50_ms).toBe(4000);
    expect(s.series.started.reduce((a, b) => a + b, 0)).toBe(total);
    expect(s.breakdowns.video).toEqual([expect.objectContaining({ key: "vid", views: total })]);
  });
});

describe("GET /v1/stats shows delivery (views with CDN figures)", () => {
  it("QoE by POP counts a view in each POP that served it; views by quarter of cache hit ratio with their rebuffering", async () => {
    const res = await h.app.inject({
      method: "GET",
      url: "/v1/stats?minutes=60",
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json();
    // w-2 (weight 4): AMS1, hits 0.9, rebuffering 0.1; w-4: AMS1 and FRA2, 0.8, 0; w-5: FRA2, 0.3, 0.2.
    expect(s.breakdowns.pop).toEqual([
      expect.objectContaining({ key: "AMS1", views: 5 }),
      expect.objectContaining({ key: "FRA2", views: 2 }),
    ]);
    expect(s.breakdowns.pop[0].cache_hit_ratio).toBeCloseTo((0.9 * 4 + 0.8) / 5, 10);
    expect(s.breakdowns.pop[0].rebuffer_ratio).toBeCloseTo((0.1 * 4) / 5, 10);
    expect(s.breakdowns.pop[1].cache_hit_ratio).toBeCloseTo(0.55, 10);
    expect(s.breakdowns.pop[1].rebuffer_ratio).toBeCloseTo(0.1, 10);
    expect(s.delivery.hit_ratio_vs_rebuffer).toEqual([
      { from: 0, views: 0, rebuffer_ratio: null },
      { from: 0.25, views: 1, rebuffer_ratio: 0.2 },
      { from: 0.5, views: 0, rebuffer_ratio: null },
      { from: 0.75, views: 5, rebuffer_ratio: expect.closeTo(0.08, 10) },
    ]);
  });
});

describe("GET /v1/stats shows a segment-parallel job's chunks", () => {
  it("sums the chunk encodes of every rendition and keeps each rendition's state letters; a serial job has none", async () => {
    const at = new Date(now - 60_000).toISOString();
    const jobEvent = (id: string) =>
      ({
        ...exampleEvent("job.step_started", { now: new Date(at) }),
        job: { id, status: "running", step: "chunk" },
        app_id: "shop",
        received_at: at,
      }) as StoredEvent;
    await h.search.index([jobEvent("job-chunked"), jobEvent("job-serial")]);
    const base = {
      status: "running" as const,
      created_at: at,
      updated_at: at,
      renditions_completed: 0,
      retries: 1,
      total_bytes: 0,
      last_seq: 9,
      steps: [],
    };
    await h.search.upsertJobs([
      {
        ...base,
        job_id: "job-chunked",
        chunks: [
          { rendition: "720p", count: 4, completed: 2, running: 1, failed: 0, retries: 1, states: "ccrp" },
          { rendition: "360p", count: 4, completed: 3, running: 0, failed: 1, retries: 0, states: "cccf" },
        ],
      },
      { ...base, job_id: "job-serial" },
    ]);
    await h.search.refresh();
    const res = await h.app.inject({
      method: "GET",
      url: "/v1/stats?minutes=60",
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    const recent = (res.json() as { jobs: { recent: { job_id: string; chunks: unknown }[] } }).jobs.recent;
    expect(recent.find((j) => j.job_id === "job-chunked")?.chunks).toEqual({
      count: 8,
      completed: 5,
      running: 1,
      failed: 1,
      renditions: { "720p": "ccrp", "360p": "cccf" },
    });
    expect(recent.find((j) => j.job_id === "job-serial")?.chunks).toBeNull();
  });
});
