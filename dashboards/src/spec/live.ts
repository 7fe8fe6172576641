import type { DashboardSpec, PromPanel } from "./types.ts";

const I = 'instance=~"$instance"';
const W = "[$__rate_interval]";
const BY = "app, stream";
const prom = (p: Omit<PromPanel, "kind">): PromPanel => ({ kind: "prom", ...p });
const rate = (metric: string) => `sum by (${BY}) (rate(${metric}{${I}}${W}))`;

/**
 * Live streams as the viewers processor reports them (stream-processors/src/viewers): viewers now
 * per stream, and startup failures, rebuffering and latency percentiles. Series are per instance
 * and partition share; every panel adds them up by app and stream. The live page
 * (GET /v1/live/viewers) shows the same figures over exactly the last minute.
 */
export const liveDashboard: DashboardSpec = {
  uid: "reeltime-live",
  title: "reeltime / Live streams",
  description: "Concurrent viewers per live stream, startup failures, rebuffering and live latency, in real time.",
  tags: ["reeltime", "live", "qoe"],
  variables: ["instance"],
  rows: [
    {
      title: "Viewers",
      panels: [
        prom({
          key: "live-viewers-total",
          title: "Live viewers now",
          description:
            "Views of live streams starting, playing or rebuffering that reported in the last 25 s, all streams.",
          targets: [{ expr: `sum(reeltime_live_viewers{${I}})`, legend: "viewers" }],
          viz: "stat",
          unit: "short",
        }),
        prom({
          key: "live-viewers",
          title: "Live viewers per stream",
          description:
            "Concurrent viewers of each live stream (streams past the processor's label bound show as _other).",
          targets: [{ expr: `sum by (${BY}) (reeltime_live_viewers{${I}})`, legend: "{{app}}/{{stream}}" }],
          viz: "timeseries",
          unit: "short",
        }),
      ],
    },
    {
      title: "Quality",
      panels: [
        prom({
          key: "live-startup-failures",
          title: "Startup failures /min",
          description: "Views of each live stream that ended in a fatal error before their first frame, per minute.",
          targets: [{ expr: `60 * ${rate("reeltime_live_startup_failures_total")}`, legend: "{{app}}/{{stream}}" }],
          viz: "timeseries",
          unit: "short",
        }),
        prom({
          key: "live-rebuffer-ratio",
          title: "Rebuffer ratio",
          description: "Rebuffering over playing plus rebuffering time reported by the viewers of each live stream.",
          targets: [
            {
              expr: `${rate("reeltime_live_rebuffer_seconds_total")} / (${rate("reeltime_live_rebuffer_seconds_total")} + ${rate("reeltime_live_playing_seconds_total")})`,
              legend: "{{app}}/{{stream}}",
            },
          ],
          viz: "timeseries",
          unit: "percentunit",
        }),
        prom({
          key: "live-latency",
          title: "Live latency p50 / p95",
          description: "Wall clock minus the program date time at the playhead, as viewers report it: median and p95.",
          targets: [0.5, 0.95].map((q) => ({
            expr: `histogram_quantile(${q}, sum by (le, ${BY}) (rate(reeltime_live_latency_seconds_bucket{${I}}${W})))`,
            legend: `p${q * 100} {{app}}/{{stream}}`,
          })),
          viz: "timeseries",
          unit: "s",
        }),
      ],
    },
  ],
};
