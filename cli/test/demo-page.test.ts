import { describe, expect, it } from "vitest";
import { formatViewMetrics } from "../src/dev/metrics-format.ts";
import { demoPage } from "../src/dev/page.ts";

// What the SDK's metrics() gave on the demo page: raw floats such as 14971.100000000093.
const RAW = {
  startupMs: 812.4000000000233,
  startupScore: 90.78838174273857,
  playingMs: 14971.100000000093,
  watchMs: 16240.69999999925,
  rebufferCount: 1,
  rebufferMs: 457.09999999962747,
  rebufferRatio: 0.029643399350477,
  rebufferPerMinute: 4.007786290850935,
  smoothnessScore: 71.92727272727274,
  seekCount: 0,
  seekLatencyMs: 0,
  switchesUp: 2,
  switchesDown: 0,
  avgBitrateBps: 2318745.6789,
  upscaleAvg: 1.0000000000002,
  upscaleMax: 1.5,
  qualityScore: 88.8888,
  ebvs: false,
  playbackSuccess: 100,
};

describe("the demo page shows rounded figures with units", () => {
  const rows = Object.fromEntries(formatViewMetrics(RAW));

  it("formats every figure with a unit and no long fractions", () => {
    expect(rows).toMatchObject({
      Startup: "0.81 s",
      Playing: "15.0 s",
      "Watch time": "16.2 s",
      Rebuffers: "1",
      Rebuffering: "0.46 s",
      "Rebuffer ratio": "3.0 %",
      "Rebuffer rate": "4.01 per min",
      "Smoothness score": "72 / 100",
      "Average bitrate": "2.32 Mb/s",
      "Upscaling (avg / max)": "1.00× / 1.50×",
      "Exit before start": "no",
    });
    for (const value of Object.values(rows)) expect(value).not.toMatch(/\d\.\d{3,}/);
  });

  it("shows a dash for a figure the view does not have yet", () => {
    const early = Object.fromEntries(formatViewMetrics({ playingMs: 0, rebufferCount: 0 }));
    expect(early.Startup).toBe("–");
    expect(early["Average bitrate"]).toBe("–");
    expect(early.Playing).toBe("0.00 s");
  });

  it("the page embeds the formatter and no longer prints the metrics as JSON", () => {
    const html = demoPage({ writeKey: "wk", appId: "demo", videoId: "v", title: "t", hasVideo: true });
    expect(html).toContain("const formatViewMetrics = function formatViewMetrics(m)");
    expect(html).not.toContain("JSON.stringify(m");
    // The embedded source is plain JavaScript the browser can run (types are stripped).
    const source = /const formatViewMetrics = (function formatViewMetrics[\s\S]*?\n\});?\n/.exec(html)?.[1];
    expect(source).toBeDefined();
    const fn = new Function(`return (${source})`)() as typeof formatViewMetrics;
    expect(Object.fromEntries(fn(RAW)).Playing).toBe("15.0 s");
  });

  it("links the dev server's live stream, and only a name of the live-name shape", () => {
    const base = { writeKey: "wk", appId: "demo", videoId: "v", title: "t", hasVideo: true };
    expect(demoPage(base)).not.toContain('id="live-link"');
    expect(demoPage({ ...base, liveName: "demo" })).toContain('<a id="live-link" href="/demo?live=demo">');
    expect(demoPage({ ...base, liveName: '"><script>x</script>' })).not.toContain('id="live-link"');
    // ?live=<name> plays media/live/<name>/ as video id live:<name>.
    expect(demoPage(base)).toContain('"/media/live/" + liveName + "/master.m3u8"');
    expect(demoPage(base)).toContain('"live:" + liveName');
  });
});
