import type { Archive } from "@reeltime/connectors";
import { type EventOf, exampleEvent, type ReeltimeEvent, type ViewRecord } from "@reeltime/events";
import { processorMetrics } from "@reeltime/processing";
import { createLogger, createRegistry } from "@reeltime/runtime";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  addRequest,
  type CdnEvent,
  deliveryEvent,
  deliveryFolder,
  MEDIAN_ACCURACY,
} from "../../src/delivery/folder.ts";
import { startProcessors } from "../../src/service.ts";
import { computeView } from "../../src/sessionizer/compute.ts";
import { createSessionizer } from "../../src/sessionizer/sessionizer.ts";
import { embeddedStores, playbackBatches, publishAll, testCommitter, waitFor } from "../fixtures.ts";
import { timeline } from "../sessionizer/timeline.ts";

const T0 = Date.parse("2026-12-04T12:00:00.000Z");

function request(
  view: string | undefined,
  i: number,
  over: Partial<EventOf<"cdn.request">["cdn"]> & { app?: string; id?: string } = {},
): CdnEvent {
  const base = exampleEvent("cdn.request", { now: new Date(T0 + i * 2000) });
  const { app, id, ...cdn } = over;
  const { sid: _sid, ...rest } = base.cdn;
  return {
    ...base,
    event_id: id ?? uuidv7(),
    app_id: app ?? "demo",
    cdn: { ...rest, ...(view !== undefined ? { sid: view } : {}), ...cdn },
  } as CdnEvent;
}

/** 40 requests of one view: mixed cache results and POPs, TTFBs and times spread out. */
function viewRequests(view: string): CdnEvent[] {
  return Array.from({ length: 40 }, (_, i) =>
    request(view, i, {
      pop: i % 4 === 3 ? "FRA60-P2" : "FRA56-C1",
      cache_result: i % 5 === 0 ? "Miss" : i % 7 === 0 ? "RefreshHit" : "Hit",
      status: i === 13 ? 503 : 200,
      bytes: 100_000 + i * 7_919,
      ttfb_ms: 5 + ((i * 37) % 101),
      total_ms: 40 + ((i * 53) % 197),
    }),
  );
}

/** The figures by hand: what a reader of the log lines would count. */
function expected(requests: CdnEvent[]) {
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const medianOf = (xs: number[]) => {
    const s = sorted(xs);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const ok = requests.filter((r) => r.cdn.status < 400);
  const pops = new Map<string, number>();
  for (const r of requests) pops.set(r.cdn.pop!, (pops.get(r.cdn.pop!) ?? 0) + 1);
  return {
    requests: requests.length,
    hits: requests.filter((r) => r.cdn.cache_result === "Hit" || r.cdn.cache_result === "RefreshHit").length,
    errors: requests.filter((r) => r.cdn.status >= 400).length,
    bytes: requests.reduce((n, r) => n + (r.cdn.bytes ?? 0), 0),
    ttfb: medianOf(requests.map((r) => r.cdn.ttfb_ms!)),
    throughput: medianOf(ok.map((r) => ((r.cdn.bytes ?? 0) * 8 * 1000) / r.cdn.total_ms!)),
    pops: [...pops].sort((a, b) => b[1] - a[1]).map(([p]) => p),
  };
}

const within = (actual: number | undefined, want: number, rel: number) => {
  expect(actual).toBeDefined();
  // The sketch's answer is within `rel` of some value near the median; for an even count the
  // exact median lies between two samples, so allow the gap to the nearest one as well.
  expect(Math.abs(actual! - want) / want).toBeLessThanOrEqual(rel + 0.02);
};

describe("the delivery fold (one view's CDN requests → running totals)", () => {
  const folder = deliveryFolder({ archive: undefined as unknown as Archive, group: "t" });

  it("counts each request once, in any order, and matches a count made by hand", () => {
    const reqs = viewRequests("view-a");
    const shuffled = [...reqs].reverse();
    const s = folder.start(shuffled[0]!)!;
    for (const r of shuffled) expect(addRequest(s, r)).toBe(true);
    // Redelivered lines (same event id) change nothing.
    for (const r of reqs.slice(0, 10)) expect(addRequest(s, r)).toBe(false);
    const d = deliveryEvent(s, T0).delivery;
    const want = expected(reqs);
    expect(d.requests).toBe(want.requests);
    expect(d.cache_hits).toBe(want.hits);
    expect(d.errors).toBe(want.errors);
    expect(d.bytes).toBe(want.bytes);
    expect(d.pops).toEqual(want.pops);
    within(d.ttfb_p50_ms, want.ttfb, MEDIAN_ACCURACY);
    within(d.throughput_p50_bps, want.throughput, MEDIAN_ACCURACY);
    expect(d.first_request_at).toBe(new Date(T0).toISOString());
    expect(d.last_request_at).toBe(new Date(T0 + 39 * 2000).toISOString());
  });

  it("a sampled real-time log (25 %): each line stands for four requests, the ratio and medians unchanged", () => {
    const reqs = viewRequests("view-s").map((r) => ({ ...r, sample_rate: 0.25 }));
    const s = folder.start(reqs[0]!)!;
    for (const r of reqs) addRequest(s, r);
    const d = deliveryEvent(s, T0).delivery;
    const want = expected(reqs);
    expect(d.requests).toBe(4 * want.requests);
    expect(d.cache_hits).toBe(4 * want.hits);
    expect(d.bytes).toBe(4 * want.bytes);
    within(d.ttfb_p50_ms, want.ttfb, MEDIAN_ACCURACY);
    expect(d.pops).toEqual(want.pops);
  });

  it("a request without a session id starts nothing; another app's line for the view is refused", () => {
    expect(folder.start(request(undefined, 0))).toBeUndefined();
    const s = folder.start(request("view-b", 0))!;
    expect(addRequest(s, request("view-b", 0))).toBe(true);
    expect(addRequest(s, request("view-b", 1, { app: "other" }))).toBe(false);
    expect(deliveryEvent(s).delivery.requests).toBe(1);
  });

  it("survives a checkpoint: saved and loaded, it goes on counting to the same totals", () => {
    const reqs = viewRequests("view-c");
    const a = folder.start(reqs[0]!)!;
    for (const r of reqs) addRequest(a, r);
    const b = folder.start(reqs[0]!)!;
    for (const r of reqs.slice(0, 25)) addRequest(b, r);
    const restored = folder.load(JSON.parse(JSON.stringify(folder.save(b))));
    for (const r of reqs.slice(20)) addRequest(restored, r); // 20-24 again: redelivered after the restart
    expect(deliveryEvent(restored, T0)).toEqual(deliveryEvent(a, T0));
  });
});

describe("views gain delivery fields (sessionizer join of playback.delivery)", () => {
  const view = timeline([
    [0, "view_start"],
    [800, "startup_complete", { startup_ms: 800 }],
    [60_000, "view_end", { reason: "ended" }],
  ]).map((e) => ({ ...e, app_id: "demo" }));
  const totals = (requests: number, over: Record<string, unknown> = {}) =>
    ({
      ...exampleEvent("playback.delivery"),
      event_id: uuidv7(),
      view_id: "view-1",
      session_id: "view-1",
      delivery: { ...exampleEvent("playback.delivery").delivery, requests, cache_hits: requests - 2 },
      ...over,
    }) as ReeltimeEvent;

  it("keeps the totals with the most requests whatever their order; duplicates and older ones change nothing", () => {
    const r = computeView([totals(30), ...view, totals(12), totals(30), totals(20)] as never);
    expect(r.cdn_requests).toBe(30);
    expect(r.cdn_cache_hits).toBe(28);
    expect(r.cdn_cache_hit_ratio).toBeCloseTo(28 / 30, 4);
    expect(r.cdn_pops).toEqual(["FRA56-C1", "FRA60-P2"]);
    // The CDN totals are not the view's events: the count is the player's.
    expect(r.events).toBe(3);
    expect(computeView(view as never).cdn_requests).toBeUndefined();
  });

  it("totals made for another app's view are left out, even with more requests; totals alone make no view", () => {
    expect(computeView([...view, totals(30, { app_id: "intruder" })] as never).cdn_requests).toBeUndefined();
    const both = computeView([...view, totals(12), totals(30, { app_id: "intruder" })] as never);
    expect(both.cdn_requests).toBe(12);
    expect(() => computeView([totals(30)] as never)).toThrow();
  });
});

/** A view of app "demo" that started, played 700 ms after the request and ended at 30 s. */
const endedView = (viewId: string) =>
  timeline(
    [
      [0, "view_start"],
      [700, "startup_complete", { startup_ms: 700 }],
      [30_000, "view_end", { reason: "ended" }],
    ],
    viewId,
  ).map((e) => ({ ...e, app_id: "demo" }));

/** A sessionizer on the embedded stores: a view times out after 1 min, leaves memory 10 min later. */
const sessionizerOn = (
  stores: Pick<Awaited<ReturnType<typeof embeddedStores>>, "bus" | "search" | "archive">,
  registry = createRegistry("t"),
) =>
  createSessionizer(
    { ...stores, log: createLogger("t", { level: "silent" }), metrics: processorMetrics(registry) },
    { timeoutMs: 60_000, graceMs: 10 * 60_000, snapshotEveryMs: 0 },
  );

describe("late CDN totals (standard logs come up to a day late)", () => {
  it("bring back the finished view that left memory and give its record the delivery fields, newest", async () => {
    const { bus, search, archive, close } = await embeddedStores("delivery-late", 1);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const feed = playbackBatches();
      const commit = testCommitter(1);
      const make = () => sessionizerOn({ bus, search, archive });
      const s = make();
      const viewId = `late-cdn-${uuidv7()}`;
      const events = endedView(viewId);
      await s.handle(feed.batch(events), commit.commit);
      const before = await search.getView(viewId);
      expect(before).toMatchObject({ status: "ended", events: 3 });
      expect(before!.cdn_requests).toBeUndefined();
      // Past the grace period the view leaves memory; a new instance takes over.
      vi.setSystemTime(Date.now() + 12 * 60_000);
      await s.tick(commit.commit);
      expect(s.size).toBe(0);
      const totals = {
        ...exampleEvent("playback.delivery"),
        event_id: uuidv7(),
        view_id: viewId,
        session_id: viewId,
        client_ts: new Date().toISOString(),
      };
      await make().handle(feed.batch([totals]), commit.commit);
      const after = await search.getView(viewId);
      expect(after).toMatchObject({
        status: "ended",
        events: 3,
        startup_ms: 700,
        cdn_requests: totals.delivery.requests,
        cdn_cache_hits: totals.delivery.cache_hits,
      });
      expect(Date.parse(after!.updated_at)).toBeGreaterThan(Date.parse(before!.updated_at));
    } finally {
      vi.useRealTimers();
      await close();
    }
  });
});

describe("CDN requests → delivery → sessionizer, on the embedded bus, search and archive", () => {
  let stores: Awaited<ReturnType<typeof embeddedStores>>;
  beforeAll(async () => {
    stores = await embeddedStores("delivery", 3);
  });
  afterAll(() => stores.close());

  it("the view's record in search carries the CDN figures of its requests, duplicates and strangers left out", async () => {
    const viewId = "view-cdn-e2e";
    const sdk = timeline(
      [
        [0, "view_start"],
        [900, "startup_complete", { startup_ms: 900 }],
        [80_000, "view_end", { reason: "ended" }],
      ],
      viewId,
    ).map((e) => ({ ...e, app_id: "demo", session_id: viewId }));
    const reqs = viewRequests(viewId);
    const noise = [
      ...reqs.slice(0, 5), // redelivered
      request(viewId, 50, { app: "intruder", bytes: 9 }), // another app naming the view
      request(undefined, 51), // no session id: not a view's
      request("view-never-played", 52), // a session the sessionizer never saw
    ];
    const { bus, search, archive } = stores;
    await publishAll(bus, sdk as ReeltimeEvent[]);
    await publishAll(bus, [...reqs, ...noise] as ReeltimeEvent[]);
    const running = await startProcessors(
      { bus, search, archive, log: createLogger("delivery-test", { level: "silent" }), registry: createRegistry("t") },
      ["sessionizer", "delivery"],
      { snapshotEveryMs: 100, lagIntervalMs: 200 },
    );
    let record: ViewRecord | undefined;
    try {
      await waitFor(
        "the view's CDN totals",
        async () => {
          record = await search.getView(viewId);
          return record?.cdn_requests === reqs.length;
        },
        30_000,
      );
    } finally {
      await running.stop();
    }
    const want = expected(reqs);
    expect(record).toMatchObject({
      status: "ended",
      startup_ms: 900,
      cdn_requests: want.requests,
      cdn_cache_hits: want.hits,
      cdn_errors: want.errors,
      cdn_bytes: want.bytes,
      cdn_pops: want.pops,
    });
    expect(record!.cdn_cache_hit_ratio).toBeCloseTo(want.hits / want.requests, 4);
    within(record!.cdn_ttfb_p50_ms, want.ttfb, MEDIAN_ACCURACY);
    within(record!.cdn_throughput_p50_bps, want.throughput, MEDIAN_ACCURACY);
    expect(await search.getView("view-never-played")).toBeUndefined();
  });
});

describe("CDN totals that come before the view's first SDK event (the edge's log can be first)", () => {
  it("wait for the view and join it, per app; totals whose view never comes leave no record and no dead letter", async () => {
    const { bus, search, archive, close } = await embeddedStores("delivery-early", 1);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const feed = playbackBatches();
      const commit = testCommitter(1);
      const registry = createRegistry("t");
      const s = sessionizerOn({ bus, search, archive }, registry);
      const viewId = `early-cdn-${uuidv7()}`;
      const stranger = `no-view-${uuidv7()}`;
      const base = exampleEvent("playback.delivery");
      const totals = (view: string, requests: number, app: string) => ({
        ...base,
        event_id: uuidv7(),
        view_id: view,
        session_id: view,
        app_id: app,
        client_ts: new Date().toISOString(),
        delivery: { ...base.delivery, requests, cache_hits: requests - 1 },
      });
      // Another app's totals for the same id (copied session id) with more requests come first,
      // then the view's own app's, then totals for an id no view ever sends.
      await s.handle(
        feed.batch([totals(viewId, 50, "intruder"), totals(viewId, 9, "demo"), totals(stranger, 4, "demo")]),
        commit.commit,
      );
      // Nothing is a view yet: no record anywhere.
      expect(await search.getView(viewId)).toBeUndefined();
      expect(await search.getView(stranger)).toBeUndefined();
      const events = endedView(viewId);
      await s.handle(feed.batch(events), commit.commit);
      const record = await search.getView(viewId);
      expect(record).toMatchObject({ status: "ended", events: 3, cdn_requests: 9, cdn_cache_hits: 8 });
      // The view's own app's later totals still win over the intruder's larger ones.
      await s.handle(feed.batch([totals(viewId, 11, "demo")]), commit.commit);
      expect((await search.getView(viewId))?.cdn_requests).toBe(11);
      // The stranger's key times out without a record and leaves memory; nothing was dead-lettered.
      vi.setSystemTime(Date.now() + 2 * 60_000);
      await s.tick(commit.commit);
      expect(await search.getView(stranger)).toBeUndefined();
      vi.setSystemTime(Date.now() + 12 * 60_000);
      await s.tick(commit.commit);
      expect(s.size).toBe(0);
      expect(await registry.metrics()).not.toMatch(/dead_letters_total\{[^}]*processor="sessionizer"/);
    } finally {
      vi.useRealTimers();
      await close();
    }
  });
});
