import type { ConsumedBatch } from "@reeltime/connectors";
import { type Committer, LIVE_SNAPSHOT_PREFIX, readLiveViewers } from "@reeltime/processing";
import { createRegistry } from "@reeltime/runtime";
import { MemoryArchive } from "@reeltime/testkit";
import { describe, expect, it } from "vitest";
import { StreamLabels, ViewersProcessor } from "../../src/viewers/viewers.ts";

const T0 = Date.parse("2026-12-04T15:00:00.000Z");
let n = 0;
const iso = (ms: number) => new Date(ms).toISOString();

function event(view: string, seq: number, type: string, t: number, extra: Record<string, unknown> = {}) {
  return {
    event_id: `id-${n++}`,
    event_type: `playback.${type}`,
    seq,
    client_ts: iso(T0 + t),
    received_at: iso(T0 + t),
    app_id: "demo",
    view_id: view,
    video: { id: (extra.stream as string) ?? "news", stream_type: extra.vod ? "vod" : "live" },
    ...extra,
  };
}

function batch(partition: string, events: object[]): ConsumedBatch {
  return {
    topic: "reeltime.playback",
    partition,
    messages: events.map((e, i) => ({
      topic: "reeltime.playback",
      partition,
      offset: String(n + i),
      key: (e as { view_id: string }).view_id,
      value: new TextEncoder().encode(JSON.stringify(e)),
      headers: {},
      timestamp: T0,
    })),
  };
}

function committer(holds: Record<string, number | undefined>): Committer {
  return Object.assign(async () => undefined, {
    hold: (_t: string, p: string) => holds[p],
    reread: async () => undefined,
  });
}

const value = async (registry: ReturnType<typeof createRegistry>, name: string, labels: Record<string, string>) => {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return m?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
};

describe("viewers processor", () => {
  it("sets the viewers gauge, feeds the QoE counters once per event, and writes each partition's figures", async () => {
    let now = T0;
    const registry = createRegistry("viewers-test");
    const archive = new MemoryArchive();
    const p = new ViewersProcessor({ registry, archive, now: () => now });
    const c = committer({ "0": 1, "1": 1 });
    const start = event("a", 0, "view_start", 0);
    await p.handle(batch("0", [start, event("a", 1, "playing", 500), start]), c);
    await p.handle(
      batch("1", [
        event("b", 0, "view_start", 0),
        event("b", 1, "error", 900, { error: { severity: "fatal", code: "manifestLoadError" } }),
        event("v", 0, "view_start", 0, { vod: true, stream: "film" }),
        event("v", 1, "heartbeat", 10_000, {
          vod: true,
          stream: "film",
          state: "playing",
          stats: { playing_ms: 9_000, rebuffer_ms: 1_000, rebuffer_count: 1 },
        }),
      ]),
      c,
    );
    now = T0 + 1_000;
    await p.tick(c);
    expect(await value(registry, "reeltime_live_viewers", { app: "demo", stream: "news" })).toBe(1);
    expect(await value(registry, "reeltime_playback_views_started_total", { stream_type: "live" })).toBe(2);
    expect(await value(registry, "reeltime_playback_views_started_total", { stream_type: "vod" })).toBe(1);
    expect(await value(registry, "reeltime_playback_startup_failures_total", { stream_type: "live" })).toBe(1);
    expect(await value(registry, "reeltime_live_startup_failures_total", { stream: "news" })).toBe(1);
    expect(await value(registry, "reeltime_playback_rebuffer_seconds_total", { stream_type: "vod" })).toBe(1);
    expect((await archive.list(LIVE_SNAPSHOT_PREFIX)).map((o) => o.key)).toEqual([
      "_live/viewers/reeltime.playback/0.json",
      "_live/viewers/reeltime.playback/1.json",
    ]);
    const live = await readLiveViewers(archive, { now });
    expect(live).toMatchObject({ partitions: 2, stale_partitions: 0 });
    expect(live.streams).toEqual([
      {
        app: "demo",
        stream: "news",
        viewers: 1,
        started: 2,
        startup_failures: 1,
        rebuffer_ratio: null,
        latency_p50_ms: null,
        latency_p95_ms: null,
      },
    ]);
    expect((await readLiveViewers(archive, { now, app: "other" })).streams).toEqual([]);
    // Snapshots nobody rewrote for 15 s are left out.
    expect(await readLiveViewers(archive, { now: now + 20_000 })).toMatchObject({ partitions: 0, stale_partitions: 2 });
  });

  it("starts a partition afresh under a new hold and drops one it no longer holds", async () => {
    const registry = createRegistry("viewers-test");
    const p = new ViewersProcessor({ registry, now: () => T0 + 1_000 });
    await p.handle(batch("0", [event("a", 0, "view_start", 0)]), committer({ "0": 1 }));
    expect(p.figures()[0]).toMatchObject({ viewers: 1 });
    await p.handle(batch("0", [event("b", 0, "view_start", 0)]), committer({ "0": 2 }));
    expect(p.figures()[0]).toMatchObject({ viewers: 1 });
    await p.tick(committer({ "0": undefined }));
    expect(p.figures()).toEqual([]);
    expect(await value(registry, "reeltime_live_viewers", { stream: "news" })).toBeUndefined();
  });
});

describe("stream labels", () => {
  it("name at most `max` streams; the others share _other until a name is given back", () => {
    const l = new StreamLabels(2, 1_000);
    expect(l.label("a", "s1", 0).stream).toBe("s1");
    expect(l.label("a", "s2", 0).stream).toBe("s2");
    expect(l.label("a", "s3", 0).stream).toBe("_other");
    expect(l.label("a", "s1", 900).stream).toBe("s1");
    expect(l.expire(1_500)).toEqual([{ app: "a", stream: "s2" }]);
    expect(l.label("a", "s3", 1_500).stream).toBe("s3");
  });
});
