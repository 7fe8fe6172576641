import type { RunWindow } from "./seed.ts";

/** A row as the proof compares it: bucket keys (outermost first) and metric values. */
export interface Expected {
  keys: (string | number)[];
  values: Record<string, number>;
}
const r = (keys: (string | number)[], values: Record<string, number>): Expected => ({ keys, values });

const S = "startup_ms";
const p = (p50: number, p95: number) => ({ [`p50(${S})`]: p50, [`p95(${S})`]: p95 });
/** Views panels count views as sum(weight) (1 / sample rate; 1 for these unsampled records). */
const VIEWS = "sum(weight)";
const withCount = (count: number, v: Record<string, number>) => ({ [VIEWS]: count, ...v });

/*
 * Hand-computed from seed.ts. Percentiles interpolate linearly between ranks:
 * p(q) of sorted x[0..n-1] = x[i] + f·(x[i+1]−x[i]) with i+f = q·(n−1).
 * Startup times of the app's views: v1 1000, v2 2000, v3 3000 (vid-a); v4 4000, v5 10000 (vid-b).
 */
export function expectedElasticsearch(w: RunWindow): Record<string, Expected[]> {
  const t = (m: number) => w.t0 + m * 60_000;
  const M = 1_000_000;
  return {
    // [1000,2000,3000,4000,10000]: p50 = x[2] = 3000; p95 at 3.8 = 4000 + 0.8·6000 = 8800
    "qoe-startup": [r([], p(3000, 8800))],
    "qoe-startup-by-video": [
      r(["vid-a"], withCount(3, p(2000, 2900))), // 1.9 → 2000 + 0.9·1000
      r(["vid-b"], withCount(2, p(7000, 9700))), // 0.95 → 4000 + 0.95·6000
    ],
    "qoe-startup-by-browser": [
      r(["Chrome"], withCount(2, p(1500, 1950))),
      r(["Firefox"], withCount(2, p(3500, 3950))),
      r(["Safari"], withCount(1, p(10_000, 10_000))),
    ],
    "qoe-startup-by-rendition": [
      r(["720p"], withCount(2, p(2000, 2900))),
      r(["1080p"], withCount(2, p(6000, 9600))),
      r(["480p"], withCount(1, p(4000, 4000))),
    ],
    // Rebuffer ratios of views with a first frame: 0.1, 0, 0.2 (vid-a); 0.05, 0.3 (vid-b)
    "qoe-rebuffer": [r([], { "avg(rebuffer_ratio)": 0.13 })],
    "qoe-rebuffer-by-video": [
      r(["vid-a"], { [VIEWS]: 3, "avg(rebuffer_ratio)": 0.1 }),
      r(["vid-b"], { [VIEWS]: 2, "avg(rebuffer_ratio)": 0.175 }),
    ],
    "qoe-rebuffer-by-browser": [
      r(["Chrome"], { [VIEWS]: 2, "avg(rebuffer_ratio)": 0.05 }),
      r(["Firefox"], { [VIEWS]: 2, "avg(rebuffer_ratio)": 0.125 }),
      r(["Safari"], { [VIEWS]: 1, "avg(rebuffer_ratio)": 0.3 }),
    ],
    "qoe-rebuffer-by-rendition": [
      r(["720p"], { [VIEWS]: 2, "avg(rebuffer_ratio)": 0.15 }),
      r(["1080p"], { [VIEWS]: 2, "avg(rebuffer_ratio)": 0.15 }),
      r(["480p"], { [VIEWS]: 1, "avg(rebuffer_ratio)": 0.05 }),
    ],
    // Failed views: v3 (vid-a, Firefox, 720p) and v7 (vid-b, Safari, no rendition) of 7
    "qoe-failures": [r([], { "avg(playback_failure)": 2 / 7, "sum(playback_failure)": 2 })],
    "qoe-failures-by-video": [
      r(["vid-a"], { [VIEWS]: 3, "avg(playback_failure)": 1 / 3, "sum(playback_failure)": 1 }),
      r(["vid-b"], { [VIEWS]: 4, "avg(playback_failure)": 1 / 4, "sum(playback_failure)": 1 }),
    ],
    "qoe-failures-by-browser": [
      r(["Chrome"], { [VIEWS]: 3, "avg(playback_failure)": 0, "sum(playback_failure)": 0 }),
      r(["Firefox"], { [VIEWS]: 2, "avg(playback_failure)": 0.5, "sum(playback_failure)": 1 }),
      r(["Safari"], { [VIEWS]: 2, "avg(playback_failure)": 0.5, "sum(playback_failure)": 1 }),
    ],
    "qoe-failures-by-rendition": [
      r(["720p"], { [VIEWS]: 2, "avg(playback_failure)": 0.5, "sum(playback_failure)": 1 }),
      r(["1080p"], { [VIEWS]: 2, "avg(playback_failure)": 0, "sum(playback_failure)": 0 }),
      r(["480p"], { [VIEWS]: 1, "avg(playback_failure)": 0, "sum(playback_failure)": 0 }),
    ],
    // Exit before video start: v6 (vid-b, Chrome, no rendition) of 7
    "qoe-ebvs": [r([], { "avg(ebvs)": 1 / 7, "sum(ebvs)": 1 })],
    "qoe-ebvs-by-video": [
      r(["vid-a"], { [VIEWS]: 3, "avg(ebvs)": 0, "sum(ebvs)": 0 }),
      r(["vid-b"], { [VIEWS]: 4, "avg(ebvs)": 0.25, "sum(ebvs)": 1 }),
    ],
    "qoe-ebvs-by-browser": [
      r(["Chrome"], { [VIEWS]: 3, "avg(ebvs)": 1 / 3, "sum(ebvs)": 1 }),
      r(["Firefox"], { [VIEWS]: 2, "avg(ebvs)": 0, "sum(ebvs)": 0 }),
      r(["Safari"], { [VIEWS]: 2, "avg(ebvs)": 0, "sum(ebvs)": 0 }),
    ],
    "qoe-ebvs-by-rendition": [
      r(["720p"], { [VIEWS]: 2, "avg(ebvs)": 0, "sum(ebvs)": 0 }),
      r(["1080p"], { [VIEWS]: 2, "avg(ebvs)": 0, "sum(ebvs)": 0 }),
      r(["480p"], { [VIEWS]: 1, "avg(ebvs)": 0, "sum(ebvs)": 0 }),
    ],
    // Bitrates: 3, 5, 2 Mb/s (vid-a); 1, 6 Mb/s (vid-b)
    "qoe-bitrate": [r([], { "avg(avg_bitrate_bps)": 3.4 * M })],
    "qoe-bitrate-by-video": [
      r(["vid-a"], { [VIEWS]: 3, "avg(avg_bitrate_bps)": (10 / 3) * M }),
      r(["vid-b"], { [VIEWS]: 2, "avg(avg_bitrate_bps)": 3.5 * M }),
    ],
    "qoe-bitrate-by-browser": [
      r(["Chrome"], { [VIEWS]: 2, "avg(avg_bitrate_bps)": 4 * M }),
      r(["Firefox"], { [VIEWS]: 2, "avg(avg_bitrate_bps)": 1.5 * M }),
      r(["Safari"], { [VIEWS]: 1, "avg(avg_bitrate_bps)": 6 * M }),
    ],
    "qoe-bitrate-by-rendition": [
      r(["720p"], { [VIEWS]: 2, "avg(avg_bitrate_bps)": 2.5 * M }),
      r(["1080p"], { [VIEWS]: 2, "avg(avg_bitrate_bps)": 5.5 * M }),
      r(["480p"], { [VIEWS]: 1, "avg(avg_bitrate_bps)": 1 * M }),
    ],
    // Media kind: v1-v5 video, v6 (EBVS) and v7 (failed at startup) audio, neither with a
    // startup, a first frame or a bitrate: the startup, rebuffer and bitrate tables have video only.
    "qoe-startup-by-media": [r(["video"], withCount(5, p(3000, 8800)))],
    "qoe-rebuffer-by-media": [r(["video"], { [VIEWS]: 5, "avg(rebuffer_ratio)": 0.13 })],
    "qoe-failures-by-media": [
      r(["video"], { [VIEWS]: 5, "avg(playback_failure)": 1 / 5, "sum(playback_failure)": 1 }),
      r(["audio"], { [VIEWS]: 2, "avg(playback_failure)": 1 / 2, "sum(playback_failure)": 1 }),
    ],
    "qoe-ebvs-by-media": [
      r(["video"], { [VIEWS]: 5, "avg(ebvs)": 0, "sum(ebvs)": 0 }),
      r(["audio"], { [VIEWS]: 2, "avg(ebvs)": 0.5, "sum(ebvs)": 1 }),
    ],
    "qoe-bitrate-by-media": [r(["video"], { [VIEWS]: 5, "avg(avg_bitrate_bps)": 3.4 * M })],
    // Minute 1: e1, e2 playing (e3 paused, e4 only ended); minute 2: e1, e2 (rebuffering), e3
    // Delivery: v1 (AMS1, hit 0.95), v2 (AMS1 and FRA2, 0.85), v3 (FRA2, 0.35), v4 (FRA2, 0.92) of the
    // app; v5-v7 no CDN log; v8 (AMS1) is the other app's.
    "qoe-delivery-by-pop": [
      // v2, v3, v4: ratios 0, 0.2, 0.05; startups 2000, 3000, 4000 (p50 = x[1])
      r(["FRA2"], {
        [VIEWS]: 3,
        "avg(rebuffer_ratio)": 0.25 / 3,
        "avg(cdn_cache_hit_ratio)": (0.85 + 0.35 + 0.92) / 3,
        [`p50(${S})`]: 3000,
      }),
      // v1, v2: ratios 0.1, 0; startups 1000, 2000 (p50 at 0.5 = 1500)
      r(["AMS1"], {
        [VIEWS]: 2,
        "avg(rebuffer_ratio)": 0.05,
        "avg(cdn_cache_hit_ratio)": 0.9,
        [`p50(${S})`]: 1500,
      }),
    ],
    // Quarters of the hit ratio: v3 (0.35) in [0.25, 0.5); v1, v2, v4 (0.95, 0.85, 0.92) in [0.75, 1).
    "qoe-delivery-hit-ratio-vs-rebuffer": [
      r([0.25], { [VIEWS]: 1, "avg(rebuffer_ratio)": 0.2 }),
      r([0.75], { [VIEWS]: 3, "avg(rebuffer_ratio)": 0.15 / 3 }),
    ],
    "qoe-concurrent": [r([t(1)], { "unique(view_id)": 2 }), r([t(2)], { "unique(view_id)": 3 })],
    "qoe-concurrent-by-video": [
      r(["vid-a", t(1)], { "unique(view_id)": 2 }),
      r(["vid-a", t(2)], { "unique(view_id)": 2 }),
      r(["vid-b", t(2)], { "unique(view_id)": 1 }),
    ],
    "qoe-concurrent-by-browser": [
      r(["Chrome", t(1)], { "unique(view_id)": 2 }),
      r(["Chrome", t(2)], { "unique(view_id)": 2 }),
      r(["Firefox", t(2)], { "unique(view_id)": 1 }),
    ],
    "qoe-concurrent-by-rendition": [
      r(["720p", t(1)], { "unique(view_id)": 2 }),
      r(["720p", t(2)], { "unique(view_id)": 2 }),
      r(["1080p", t(2)], { "unique(view_id)": 1 }),
    ],
    // Only vid-a's events name a media kind (video): e1, e2 in both minutes; e3 has none.
    "qoe-concurrent-by-media": [
      r(["video", t(1)], { "unique(view_id)": 2 }),
      r(["video", t(2)], { "unique(view_id)": 2 }),
    ],
    // 5-minute buckets: v1-v3 in the first, v4-v7 in the second (v4, v5 with a startup)
    "qoe-startup-over-time": [r([t(0)], p(2000, 2900)), r([t(5)], p(7000, 9700))],
    "qoe-views-over-time": [r([t(0)], { [VIEWS]: 3 }), r([t(5)], { [VIEWS]: 4 })],
    // Jobs: j1, j2 completed; j3, j5 failed; j4 running
    "jobs-by-state": [r(["completed"], { count: 2 }), r(["failed"], { count: 2 }), r(["running"], { count: 1 })],
    "jobs-created-over-time": [
      r(["completed", t(0)], { count: 2 }),
      r(["failed", t(0)], { count: 1 }),
      r(["failed", t(5)], { count: 1 }),
      r(["running", t(5)], { count: 1 }),
    ],
    // queue waits 1000, 3000, 2000, 6000, 0 → 2400; wall times 60 s, 120 s → 90 s
    "jobs-queue-wait": [r([], { "avg(queue_wait_ms)": 2400, "avg(duration_ms)": 90_000 })],
    // probe 500, 1500; rendition 20, 30, 40, 80 s; manifest 100 ms
    "steps-duration": [
      r(["probe"], {
        count: 2,
        "avg(job.duration_ms)": 1000,
        "p50(job.duration_ms)": 1000,
        "p95(job.duration_ms)": 1450,
      }),
      r(["rendition"], {
        count: 4,
        "avg(job.duration_ms)": 42_500,
        "p50(job.duration_ms)": 35_000, // 1.5 → 30000 + 0.5·10000
        "p95(job.duration_ms)": 74_000, // 2.85 → 40000 + 0.85·40000
      }),
      r(["manifest"], {
        count: 1,
        "avg(job.duration_ms)": 100,
        "p50(job.duration_ms)": 100,
        "p95(job.duration_ms)": 100,
      }),
    ],
    "steps-duration-by-rendition": [
      r(["720p"], { count: 2, "avg(job.duration_ms)": 25_000, "p95(job.duration_ms)": 29_500 }),
      r(["1080p"], { count: 2, "avg(job.duration_ms)": 60_000, "p95(job.duration_ms)": 78_000 }),
    ],
    "failures-by-step": [r(["rendition"], { count: 1 }), r(["probe"], { count: 1 })],
    "failures-step-attempts": [
      r(["rendition", "FFMPEG_EXIT"], { count: 2 }),
      r(["probe", "REELTIME_ERR_NOT_A_VIDEO"], { count: 1 }),
    ],
    "failures-exit-status": [r([1], { count: 2 })],
    // speeds 3, 2 (720p), 1.5, 0.75 (1080p)
    "speed-overall": [r([], { "avg(job.speed)": 1.8125 })],
    "speed-by-rendition": [
      r(["720p"], { "avg(job.speed)": 2.5, "min(job.speed)": 2 }),
      r(["1080p"], { "avg(job.speed)": 1.125, "min(job.speed)": 0.75 }),
    ],
    // dead letters not replayed: dl-1, dl-2 (rejected_by_store), dl-3, dl-4 (not_json)
    "errors-dead-letters-stored": [r(["rejected_by_store"], { count: 2 }), r(["not_json"], { count: 2 })],
  };
}

/** Kibana's avg/sum take numbers only, so its failure and EBVS panels split views by the boolean instead. */
export function expectedKibanaOverrides(): Record<string, Expected[]> {
  const c = (keys: string[], count: number) => r(keys, { count });
  return {
    "qoe-failures": [c(["false"], 5), c(["true"], 2)],
    "qoe-failures-by-video": [
      c(["vid-a", "false"], 2),
      c(["vid-a", "true"], 1),
      c(["vid-b", "false"], 3),
      c(["vid-b", "true"], 1),
    ],
    "qoe-failures-by-browser": [
      c(["Chrome", "false"], 3),
      c(["Firefox", "false"], 1),
      c(["Firefox", "true"], 1),
      c(["Safari", "false"], 1),
      c(["Safari", "true"], 1),
    ],
    "qoe-failures-by-rendition": [
      c(["720p", "false"], 1),
      c(["720p", "true"], 1),
      c(["1080p", "false"], 2),
      c(["480p", "false"], 1),
    ],
    "qoe-ebvs": [c(["false"], 6), c(["true"], 1)],
    "qoe-ebvs-by-video": [c(["vid-a", "false"], 3), c(["vid-b", "false"], 3), c(["vid-b", "true"], 1)],
    "qoe-ebvs-by-browser": [
      c(["Chrome", "false"], 2),
      c(["Chrome", "true"], 1),
      c(["Firefox", "false"], 2),
      c(["Safari", "false"], 2),
    ],
    "qoe-ebvs-by-rendition": [c(["720p", "false"], 2), c(["1080p", "false"], 2), c(["480p", "false"], 1)],
    "qoe-failures-by-media": [
      c(["video", "false"], 4),
      c(["video", "true"], 1),
      c(["audio", "false"], 1),
      c(["audio", "true"], 1),
    ],
    "qoe-ebvs-by-media": [c(["video", "false"], 5), c(["audio", "false"], 1), c(["audio", "true"], 1)],
  };
}

/** Document lists: ids newest first. */
export function expectedDocs(w: RunWindow): Record<string, { field: string; ids: string[] }> {
  return {
    "qoe-fatal-errors": {
      field: "view_id",
      ids: Array.from({ length: 100 }, (_, i) => `${w.run}-err-${w.app}-${104 - i}`),
    },
    "failures-last-jobs": { field: "job_id", ids: [`${w.run}-j5`, `${w.run}-j3`] },
    "errors-dead-letters-last": { field: "dead_letter_id", ids: [4, 3, 2, 1, 0].map((i) => `${w.run}-dl-${i}`) },
    "api-last-calls": { field: "api.route", ids: ["/v1/route-2", "/v1/route-1", "/v1/route-0"] },
  };
}
