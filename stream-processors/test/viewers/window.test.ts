import { exampleEvent, type PlaybackEvent } from "@reeltime/events";
import { mergeFigures, percentile, summarise } from "@reeltime/processing";
import { describe, expect, it } from "vitest";
import { type ViewerEvent, ViewerWindow } from "../../src/viewers/window.ts";

const T0 = Date.parse("2026-12-04T15:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();
let ids = 0;

/** A live view's event at `t` ms after T0 (received then; the device clock `skew` ms off). */
function ev(
  view: string,
  seq: number,
  t: number,
  type: string,
  extra: Partial<ViewerEvent> = {},
  skew = 0,
): ViewerEvent {
  return {
    event_id: `e-${view}-${seq}-${ids++}`,
    event_type: `playback.${type}`,
    seq,
    client_ts: iso(T0 + t + skew),
    received_at: iso(T0 + t),
    app_id: "demo",
    view_id: view,
    video: { id: "news", stream_type: "live" },
    ...extra,
  };
}
const hb = (
  view: string,
  seq: number,
  t: number,
  playing: number,
  rebuffer: number,
  extra: Partial<ViewerEvent> = {},
) =>
  ev(view, seq, t, "heartbeat", {
    state: "playing",
    stats: { playing_ms: playing, rebuffer_ms: rebuffer, startup_ms: 500 },
    ...extra,
  });

const figuresAt = (w: ViewerWindow, t: number) => w.figures(T0 + t).map(summarise);

describe("viewers now", () => {
  it("counts a view that reported within the viewer window, once however many events it sent", () => {
    const w = new ViewerWindow();
    w.add(ev("a", 0, 0, "view_start"), T0);
    w.add(ev("a", 1, 500, "playing"), T0 + 500);
    w.add(hb("a", 2, 10_000, 9_000, 0), T0 + 10_000);
    w.add(ev("b", 0, 1_000, "view_start"), T0 + 1_000);
    expect(figuresAt(w, 10_000)[0]).toMatchObject({ stream: "news", viewers: 2, started: 2 });
    // a keeps reporting, b went silent: gone once its last report is older than 25 s.
    w.add(hb("a", 3, 20_000, 19_000, 0), T0 + 20_000);
    expect(figuresAt(w, 27_000)[0]!.viewers).toBe(1);
  });

  it("a duplicate changes nothing and a view that ended or paused is no viewer", () => {
    const w = new ViewerWindow();
    const start = ev("a", 0, 0, "view_start");
    expect(w.add(start, T0).started).toBe(1);
    expect(w.add(start, T0 + 100)).toMatchObject({ started: 0, duplicate: true });
    w.add(ev("b", 0, 0, "view_start"), T0);
    w.add(ev("b", 1, 1_000, "pause"), T0 + 1_000);
    w.add(ev("c", 0, 0, "view_start"), T0);
    w.add(ev("c", 1, 2_000, "view_end", { stats: { playing_ms: 1_500, rebuffer_ms: 0 } }), T0 + 2_000);
    expect(figuresAt(w, 3_000)[0]).toMatchObject({ viewers: 1, started: 3 });
  });

  it("CMCD reports keep a known view alive but start none; CDN delivery records are no player reports", () => {
    const w = new ViewerWindow();
    w.add(ev("a", 0, 0, "view_start"), T0);
    // The report's seq is its own sn: it must not mark the SDK's seq 1 as seen.
    w.add(ev("a", 1, 20_000, "cmcd"), T0 + 20_000);
    w.add(ev("z", 1, 20_000, "cmcd"), T0 + 20_000);
    w.add(ev("a", 3, 20_000, "delivery"), T0 + 20_000);
    expect(figuresAt(w, 40_000)[0]!.viewers).toBe(1);
    expect(w.size).toBe(1);
    expect(w.add(ev("a", 1, 41_000, "playing"), T0 + 41_000).duplicate).toBe(false);
  });

  it("out of order: the state is the one of the highest seq, whatever arrives last", () => {
    const w = new ViewerWindow();
    w.add(ev("a", 0, 0, "view_start"), T0);
    w.add(ev("a", 2, 3_000, "view_end", { stats: { playing_ms: 2_000, rebuffer_ms: 0 } }), T0 + 3_000);
    // The pause (seq 1) arrives after the end: the view stays ended, not paused, not resurrected.
    w.add(ev("a", 1, 3_100, "playing"), T0 + 3_100);
    expect(figuresAt(w, 4_000)[0]!.viewers).toBe(0);
  });

  it("late: a held-back event lands when it happened (device clock offset learnt from the view), so it revives no viewer", () => {
    const w = new ViewerWindow();
    // The device clock runs 5 min behind; its first events arrive at once.
    const skew = -300_000;
    w.add(ev("a", 0, 0, "view_start", {}, skew), T0);
    // The heartbeat of t=2 s was queued offline and arrives at t=60 s.
    const held = ev(
      "a",
      1,
      2_000,
      "heartbeat",
      { state: "playing", stats: { playing_ms: 1_000, rebuffer_ms: 0 } },
      skew,
    );
    held.received_at = iso(T0 + 60_000);
    w.add(held, T0 + 60_000);
    expect(figuresAt(w, 60_000)[0]!.viewers).toBe(0);
    // Older than the retention: ignored altogether.
    const ancient = ev("z", 0, -400_000, "view_start");
    expect(w.add(ancient, T0).late).toBe(true);
    expect(w.size).toBe(1);
  });

  it("sampled views count as the views they stand for; VOD views are no live viewers", () => {
    const w = new ViewerWindow();
    w.add(ev("a", 0, 0, "view_start", { sample_rate: 0.25 }), T0);
    w.add(ev("v", 0, 0, "view_start", { video: { id: "film", stream_type: "vod" } }), T0);
    expect(figuresAt(w, 1_000)).toEqual([expect.objectContaining({ stream: "news", viewers: 4, started: 4 })]);
  });
});

describe("the last minute", () => {
  it("startup failures: a fatal error with no first frame before it, once per view", () => {
    const w = new ViewerWindow();
    w.add(ev("a", 0, 0, "view_start"), T0);
    const fatal = ev("a", 1, 2_000, "error", { error: { severity: "fatal" } });
    expect(w.add(fatal, T0 + 2_000).startupFailures).toBe(1);
    expect(w.add({ ...fatal, event_id: "other-id" }, T0 + 2_100).startupFailures).toBe(0);
    // b failed after its first frame: a playback failure, not a startup failure.
    w.add(ev("b", 0, 0, "view_start"), T0);
    w.add(ev("b", 1, 1_000, "startup_complete"), T0 + 1_000);
    expect(w.add(ev("b", 2, 5_000, "error", { error: { severity: "fatal" } }), T0 + 5_000).startupFailures).toBe(0);
    // c's non-fatal warning is no failure.
    w.add(ev("c", 0, 0, "view_start"), T0);
    w.add(ev("c", 1, 1_000, "error", { error: { severity: "non_fatal" } }), T0 + 1_000);
    expect(figuresAt(w, 10_000)[0]).toMatchObject({ started: 3, startup_failures: 1 });
    // d's first frame (seq 1) arrives after its fatal error (seq 2): no startup failure in the figures.
    w.add(ev("d", 0, 0, "view_start"), T0);
    w.add(ev("d", 2, 3_000, "error", { error: { severity: "fatal" } }), T0 + 3_000);
    w.add(ev("d", 1, 2_000, "playing"), T0 + 3_100);
    // m was met mid-way (no start seen): its fatal error may come after a first frame we never saw.
    expect(w.add(ev("m", 5, 4_000, "error", { error: { severity: "fatal" } }), T0 + 4_000).startupFailures).toBe(0);
    expect(figuresAt(w, 10_000)[0]).toMatchObject({ started: 4, startup_failures: 1 });
    // A minute later the failure has left the window.
    expect(figuresAt(w, 62_500)[0]?.startup_failures ?? 0).toBe(0);
  });

  it("rebuffer ratio: growth of the running totals inside the window, duplicates and reordering proof", () => {
    const w = new ViewerWindow();
    w.add(ev("a", 0, 0, "view_start"), T0);
    w.add(hb("a", 1, 10_000, 9_000, 1_000), T0 + 10_000);
    const h2 = hb("a", 3, 30_000, 27_000, 3_000);
    const h1 = hb("a", 2, 20_000, 18_000, 2_000);
    // seq 3 arrives before seq 2, and seq 3 again.
    w.add(h2, T0 + 30_000);
    w.add(h1, T0 + 30_000);
    w.add(h2, T0 + 30_000);
    // Over [0, 30 s]: 3 s rebuffering of 30 s watched.
    expect(figuresAt(w, 30_000)[0]!.rebuffer_ratio).toBeCloseTo(0.1);
    w.add(hb("a", 4, 70_000, 67_000, 3_000), T0 + 70_000);
    // Over [10 s, 70 s]: totals went 9+1 → 67+3: 2 s rebuffering of 60 s.
    expect(figuresAt(w, 70_000)[0]!.rebuffer_ratio).toBeCloseTo(2 / 60);
    w.prune(T0 + 70_000);
    expect(figuresAt(w, 70_000)[0]!.rebuffer_ratio).toBeCloseTo(2 / 60);
  });

  it("the counters a view feeds grow by new time only; a view met mid-way counts from its first report", () => {
    const w = new ViewerWindow();
    const d1 = w.add(hb("m", 7, 0, 50_000, 5_000), T0);
    expect(d1).toMatchObject({ playingMs: 0, rebufferMs: 0, started: 0 });
    const d2 = w.add(hb("m", 8, 10_000, 59_000, 6_000), T0 + 10_000);
    expect(d2).toMatchObject({ playingMs: 9_000, rebufferMs: 1_000 });
    // An older report arriving late adds nothing.
    expect(w.add(hb("m", 6, 10_000, 40_000, 4_000), T0 + 10_000)).toMatchObject({ playingMs: 0, rebufferMs: 0 });
    expect(figuresAt(w, 10_000)[0]!.rebuffer_ratio).toBeCloseTo(1 / 10);
  });

  it("latency percentiles over the window's reports", () => {
    const w = new ViewerWindow();
    for (let i = 0; i < 10; i++) {
      w.add(ev(`v${i}`, 0, 0, "view_start"), T0);
      w.add(hb(`v${i}`, 1, 5_000, 4_000, 0, { live: { latency_ms: 4_000 + i * 1_000 } }), T0 + 5_000);
    }
    const f = figuresAt(w, 10_000)[0]!;
    expect(f.latency_p50_ms).toBe(8_500);
    expect(f.latency_p95_ms).toBeCloseTo(12_550);
    // A device clock behind the encoder's reads below zero: kept as reported.
    const w2 = new ViewerWindow();
    w2.add(ev("x", 0, 0, "heartbeat", { state: "playing", live: { latency_ms: 6_000 } }), T0);
    w2.add(ev("y", 0, 0, "heartbeat", { state: "playing", live: { latency_ms: -1_000 } }), T0);
    expect(figuresAt(w2, 1_000)[0]).toMatchObject({ latency_p50_ms: 2_500, viewers: 2 });
    expect(figuresAt(w2, 61_000)).toEqual([]);
  });
});

describe("the contract's events", () => {
  it("are read as they are made: a live heartbeat with its LiveStats", () => {
    const now = new Date(T0);
    const hb = exampleEvent("playback.heartbeat", { now, seq: 3 });
    // Typed by the contract, then read by the window as it is.
    const contract: PlaybackEvent & { received_at: string } = {
      ...hb,
      received_at: iso(T0),
      app_id: "demo",
      video: { ...hb.video, id: "news", stream_type: "live" },
      state: "playing",
      live: { latency_ms: 7_250, edge_distance_ms: 6_000, max_behind_live_ms: 0, catchup_ms: 0, catchup_count: 0 },
    };
    const w = new ViewerWindow();
    w.add(contract, T0);
    expect(figuresAt(w, 1_000)).toEqual([
      expect.objectContaining({ stream: "news", viewers: 1, latency_p50_ms: 7_250 }),
    ]);
  });
});

describe("partials", () => {
  it("add up across partitions", () => {
    const a = new ViewerWindow();
    const b = new ViewerWindow();
    a.add(ev("a", 0, 0, "view_start"), T0);
    a.add(hb("a", 1, 1_000, 900, 100, { live: { latency_ms: 5_000 } }), T0 + 1_000);
    b.add(ev("b", 0, 0, "view_start"), T0);
    b.add(hb("b", 1, 1_000, 1_000, 0, { live: { latency_ms: 7_000 } }), T0 + 1_000);
    const merged = mergeFigures([...a.figures(T0 + 2_000), ...b.figures(T0 + 2_000)]).map(summarise);
    expect(merged).toEqual([
      {
        app: "demo",
        stream: "news",
        viewers: 2,
        started: 2,
        startup_failures: 0,
        rebuffer_ratio: 100 / 2_000,
        latency_p50_ms: 6_000,
        latency_p95_ms: 6_900,
      },
    ]);
    expect(percentile([], 50)).toBeNull();
  });
});
