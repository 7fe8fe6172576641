// Live views on the views record (issue 21): the stream type from the events' video, and the SDK's
// newest live figures (heartbeat / view_end `live`) as one block; live rebuffering counts as VOD's.
import { validateEvent, validateRecord } from "@reeltime/events";
import { describe, expect, it } from "vitest";
import { foldEvent, newAcc } from "../../src/sessionizer/accumulator.ts";
import { computeView } from "../../src/sessionizer/compute.ts";
import { loadView, saveView } from "../../src/sessionizer/saved-state.ts";
import { timeline } from "./timeline.ts";

const news = { id: "news-24", stream_type: "live" };
const figures = (latency: number, p50: number, maxBehind: number, catchup: number) => ({
  latency_ms: latency,
  latency_p50_ms: p50,
  edge_distance_ms: latency - 3000,
  target_latency_ms: 6000,
  behind_live_ms: Math.max(0, latency - 9000),
  max_behind_live_ms: maxBehind,
  catchup_ms: catchup,
  catchup_count: catchup > 0 ? 1 : 0,
});
const hbStats = { playing_ms: 9000, rebuffer_ms: 1000, rebuffer_count: 1 };
const endStats = { playing_ms: 19_000, rebuffer_ms: 1000, rebuffer_count: 1 };

// The SDK knows the stream is live only once hls.js loaded the level playlist: view_start says nothing.
const rows: [number, string, Record<string, unknown>?][] = [
  [0, "view_start", { video: { id: "news-24" } }],
  [500, "startup_complete", { startup_ms: 500, video: news }],
  [4500, "rebuffer_start", { video: news }],
  [5500, "rebuffer_end", { duration_ms: 1000, video: news }],
  [10_500, "heartbeat", { state: "playing", stats: hbStats, video: news, live: figures(9500, 9500, 500, 0) }],
  [20_500, "view_end", { reason: "page_hide", stats: endStats, video: news, live: figures(7500, 8125, 500, 6000) }],
];

describe("computeView: live views", () => {
  const events = timeline(rows);

  it("says live, with the newest latency, the SDK's median, max behind live and catch-up; stalls as VOD's", () => {
    for (const e of events) expect(validateEvent(e).ok).toBe(true);
    const v = computeView(events);
    expect(validateRecord("views", v)).toEqual([]);
    expect(v).toMatchObject({
      stream_type: "live",
      live_latency_ms: 7500,
      live_latency_p50_ms: 8125,
      live_edge_distance_ms: 4500,
      live_max_behind_ms: 500,
      live_catchup_ms: 6000,
      rebuffer_count: 1,
      rebuffer_ms: 1000,
      playing_ms: 19_000,
      startup_ms: 500,
    });
  });

  it("the newest figures win whatever order the events arrive in", () => {
    const v = computeView([...events].reverse());
    expect(v).toMatchObject({ live_latency_ms: 7500, live_catchup_ms: 6000 });
  });

  it("a view whose events name no stream type is on demand, without live figures", () => {
    const vod = timeline(rows.map(([ms, t, f]) => [ms, t, { ...f, video: { id: "film" }, live: undefined }]));
    const v = computeView(vod.map(({ live: _, ...e }: Record<string, unknown>) => e) as typeof vod);
    expect(v.stream_type).toBe("vod");
    expect(Object.keys(v).filter((k) => k.startsWith("live_"))).toEqual([]);
    expect(v).toMatchObject({ rebuffer_count: 1, rebuffer_ms: 1000, playing_ms: 19_000 });
  });

  it("the live figures survive a checkpoint", () => {
    const acc = newAcc(events[0]!);
    for (const e of events.slice(0, 5)) foldEvent(acc, e);
    const back = loadView(JSON.parse(JSON.stringify(saveView({ acc } as never)))).acc!;
    expect(back.live).toEqual({ seq: 4, latency: 9500, p50: 9500, edge: 6500, maxBehind: 500, catchup: 0 });
    expect(back.ctx.stream_type).toBe("live");
  });
});
