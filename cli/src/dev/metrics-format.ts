/**
 * The demo page's read-out of the SDK's view metrics: rounded figures with units, as a product
 * shows them, never raw floats. Plain JavaScript inside (no imports, no closures) because the
 * page embeds this function's source.
 */
export function formatViewMetrics(m: Record<string, unknown>): [string, string][] {
  const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const seconds = (v: unknown) => {
    const n = num(v);
    if (n === undefined) return "–";
    return n < 10_000 ? `${(n / 1000).toFixed(2)} s` : `${(n / 1000).toFixed(1)} s`;
  };
  const count = (v: unknown) => (num(v) === undefined ? "–" : String(Math.round(num(v)!)));
  const percent = (v: unknown) => (num(v) === undefined ? "–" : `${(num(v)! * 100).toFixed(1)} %`);
  const score = (v: unknown) => (num(v) === undefined ? "–" : `${Math.round(num(v)!)} / 100`);
  const rate = (v: unknown) => (num(v) === undefined ? "–" : `${num(v)!.toFixed(2)} per min`);
  const bitrate = (v: unknown) => {
    const n = num(v);
    if (n === undefined) return "–";
    return n >= 1e6 ? `${(n / 1e6).toFixed(2)} Mb/s` : `${Math.round(n / 1e3)} kb/s`;
  };
  const factor = (v: unknown) => (num(v) === undefined ? "–" : `${num(v)!.toFixed(2)}×`);
  return [
    ["Startup", seconds(m.startupMs)],
    ["Startup score", score(m.startupScore)],
    ["Playing", seconds(m.playingMs)],
    ["Watch time", seconds(m.watchMs)],
    ["Rebuffers", count(m.rebufferCount)],
    ["Rebuffering", seconds(m.rebufferMs)],
    ["Rebuffer ratio", percent(m.rebufferRatio)],
    ["Rebuffer rate", rate(m.rebufferPerMinute)],
    ["Smoothness score", score(m.smoothnessScore)],
    ["Seeks", count(m.seekCount)],
    ["Seek latency", seconds(m.seekLatencyMs)],
    ["Switches up / down", `${count(m.switchesUp)} / ${count(m.switchesDown)}`],
    ["Average bitrate", bitrate(m.avgBitrateBps)],
    ["Upscaling (avg / max)", `${factor(m.upscaleAvg)} / ${factor(m.upscaleMax)}`],
    ["Quality score", score(m.qualityScore)],
    ["Exit before start", m.ebvs === true ? "yes" : "no"],
    ["Playback success", score(m.playbackSuccess)],
  ];
}
