import { Counter, Gauge, Histogram, type Registry } from "@reeltime/runtime";

/** Live latency buckets in seconds: low-latency HLS (2-4 s) to a player minutes behind. */
export const LIVE_LATENCY_BUCKETS = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 60, 120];

/**
 * The viewers processor's series. `stream_type` is `vod` or `live`; `app` is the app id and
 * `stream` a live stream's name (its `video.id`), admitted up to a bound per instance (see
 * StreamLabels in viewers.ts), beyond which streams share the value `_other`. Counters only grow by what a view's events add for the
 * first time (duplicates and replays of an event add nothing), so rates over them are QoE rates.
 */
export function viewersMetrics(registry: Registry) {
  return {
    started: new Counter({
      name: "reeltime_playback_views_started_total",
      help: "Views that began (playback.view_start), by stream type",
      labelNames: ["stream_type"],
      registers: [registry],
    }),
    startupFailures: new Counter({
      name: "reeltime_playback_startup_failures_total",
      help: "Views that failed before their first frame (a fatal error before startup), by stream type",
      labelNames: ["stream_type"],
      registers: [registry],
    }),
    rebufferSeconds: new Counter({
      name: "reeltime_playback_rebuffer_seconds_total",
      help: "Rebuffering time reported by views (growth of the SDK's running totals), by stream type",
      labelNames: ["stream_type"],
      registers: [registry],
    }),
    playingSeconds: new Counter({
      name: "reeltime_playback_playing_seconds_total",
      help: "Playing time reported by views (growth of the SDK's running totals), by stream type",
      labelNames: ["stream_type"],
      registers: [registry],
    }),
    liveViewers: new Gauge({
      name: "reeltime_live_viewers",
      help: "Views of a live stream starting, playing or rebuffering that reported in the viewer window (sum over instances)",
      labelNames: ["app", "stream"],
      registers: [registry],
    }),
    liveStarted: new Counter({
      name: "reeltime_live_views_started_total",
      help: "Views of a live stream that began",
      labelNames: ["app", "stream"],
      registers: [registry],
    }),
    liveStartupFailures: new Counter({
      name: "reeltime_live_startup_failures_total",
      help: "Views of a live stream that failed before their first frame",
      labelNames: ["app", "stream"],
      registers: [registry],
    }),
    liveRebufferSeconds: new Counter({
      name: "reeltime_live_rebuffer_seconds_total",
      help: "Rebuffering time reported by views of a live stream",
      labelNames: ["app", "stream"],
      registers: [registry],
    }),
    livePlayingSeconds: new Counter({
      name: "reeltime_live_playing_seconds_total",
      help: "Playing time reported by views of a live stream",
      labelNames: ["app", "stream"],
      registers: [registry],
    }),
    liveLatency: new Histogram({
      name: "reeltime_live_latency_seconds",
      help: "Live latency reported by viewers (wall clock minus the program date time at the playhead), one sample per report",
      labelNames: ["app", "stream"],
      buckets: LIVE_LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}
export type ViewersMetrics = ReturnType<typeof viewersMetrics>;
