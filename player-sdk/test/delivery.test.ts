import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { WireEvent } from "../src/contract.ts";
import { backoffMs, verdictOf } from "../src/delivery/policy.ts";
import { memoryStore } from "../src/delivery/store.ts";
import { createTracker } from "../src/tracker.ts";
import { FakeMedia, fakePlatform, setup } from "./fakes.ts";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2026-11-22T10:00:00.000Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

/** A view with exactly `n` events queued. */
function withEvents(s: ReturnType<typeof setup>, n: number) {
  const media = new FakeMedia();
  s.tracker.attach(media.asElement(), { video: { id: "vid-1" } });
  media.play();
  media.fire("playing");
  media.at(0.1);
  // pause, play, playing: one event each.
  const steps = [() => media.pause(), () => media.play(), () => media.fire("playing")];
  for (let i = 3; i < n; i++) steps[i % 3]!();
  return media;
}

/** Lets pending fetches and their promise chains settle. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe("retry policy", () => {
  it.each([
    [200, "ok"],
    [202, "ok"],
    [500, "retry"],
    [503, "retry"],
    [429, "retry"],
    [408, "retry"],
    [400, "drop"],
    [401, "drop"],
    [403, "drop"],
    [410, "drop"],
    [413, "drop"],
    [422, "drop"],
  ] as const)("status %i → %s", (status, verdict) => {
    expect(verdictOf(status)).toBe(verdict);
  });

  it("backs off exponentially with jitter, capped", () => {
    expect([0, 1, 2, 3].map((a) => backoffMs(a, 1))).toEqual([1000, 2000, 4000, 8000]);
    expect([0, 1, 2].map((a) => backoffMs(a, 0))).toEqual([500, 1000, 2000]);
    expect(backoffMs(20, 1)).toBe(60_000);
  });

  it("retries 5xx with backoff until the ingest API is back, then delivers everything once", async () => {
    const s = setup({ flushIntervalMs: 100_000 });
    let calls = 0;
    s.state.respond = () => (++calls <= 2 ? { status: 503 } : { status: 200, body: { results: [] } });
    withEvents(s, 3);
    await s.tracker.flush();
    expect(s.requests).toHaveLength(1);
    expect(s.tracker.deliveryStats()).toMatchObject({ retries: 1, sent: 0, queued: 3 });
    expect(s.store.events).toHaveLength(3); // persisted while undelivered
    await vi.advanceTimersByTimeAsync(999);
    expect(s.requests.length).toBeLessThanOrEqual(2);
    await vi.advanceTimersByTimeAsync(3000);
    expect(s.requests).toHaveLength(3);
    expect(s.tracker.deliveryStats()).toMatchObject({ retries: 2, sent: 3, queued: 0, rejected: 0 });
    expect(s.requests[2]!.events.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(s.store.events).toEqual([]);
  });

  it("honours Retry-After on 429", async () => {
    const s = setup({ flushIntervalMs: 100_000 });
    let calls = 0;
    s.state.respond = () => (++calls === 1 ? { status: 429, headers: { "retry-after": "7" } } : { status: 200 });
    withEvents(s, 3);
    await s.tracker.flush();
    await vi.advanceTimersByTimeAsync(6900);
    expect(s.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(s.requests).toHaveLength(2);
    expect(s.tracker.deliveryStats().sent).toBe(3);
  });

  it("retries network errors, and at once when the browser comes back online", async () => {
    const s = setup({ flushIntervalMs: 100_000 });
    s.state.offline = true;
    withEvents(s, 3);
    await s.tracker.flush();
    await vi.advanceTimersByTimeAsync(10);
    expect(s.tracker.deliveryStats()).toMatchObject({ retries: 1, queued: 3 });
    s.state.offline = false;
    for (const cb of s.hooks.online) cb();
    await settle();
    expect(s.tracker.deliveryStats()).toMatchObject({ sent: 3, queued: 0 });
  });

  it.each([400, 401, 403, 410, 413, 422])("never retries a %i; the batch is dropped and counted", async (status) => {
    const s = setup({ flushIntervalMs: 100_000 });
    s.state.respond = () => ({ status, body: { error: "nope" } });
    withEvents(s, 3);
    await s.tracker.flush();
    expect(s.tracker.deliveryStats()).toMatchObject({ rejected: 3, retries: 0, queued: 0 });
    await vi.advanceTimersByTimeAsync(600_000); // heartbeats keep coming: each is sent once, never again
    const ids = s.requests.flatMap((r) => r.events.map((e) => e.event_id));
    expect(ids.length).toBeGreaterThan(3);
    expect(new Set(ids).size).toBe(ids.length);
    expect(s.tracker.deliveryStats().retries).toBe(0);
  });
});

describe("per-event results", () => {
  it("drops the events a 2xx reply rejected and keeps the others delivered", async () => {
    const s = setup();
    s.state.respond = (events) => ({
      status: 200,
      body: {
        results: events.map((_, index) => ({ index, ok: index !== 1, ...(index === 1 ? { errors: [{}] } : {}) })),
      },
    });
    withEvents(s, 3);
    await s.tracker.flush();
    expect(s.tracker.deliveryStats()).toMatchObject({ sent: 2, rejected: 1, queued: 0 });
  });

  it("on a 422 with results, drops the rejected events and sends the rest again", async () => {
    const s = setup();
    let calls = 0;
    s.state.respond = (events) =>
      ++calls === 1
        ? {
            status: 422,
            body: {
              results: events.map((_, index) => ({ index, ok: index !== 0, ...(index === 0 ? { errors: [] } : {}) })),
            },
          }
        : { status: 200, body: { results: events.map((_, index) => ({ index, ok: true })) } };
    withEvents(s, 3);
    await s.tracker.flush();
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1]!.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(s.tracker.deliveryStats()).toMatchObject({ sent: 2, rejected: 1, queued: 0, retries: 0 });
  });
});

describe("batching", () => {
  it("flushes by count", async () => {
    const s = setup({ maxBatchEvents: 5, flushIntervalMs: 100_000 });
    withEvents(s, 5);
    await settle();
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]!.events).toHaveLength(5);
  });

  it("flushes by time", async () => {
    const s = setup({ flushIntervalMs: 2000 });
    withEvents(s, 3);
    await vi.advanceTimersByTimeAsync(1999);
    expect(s.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.requests).toHaveLength(1);
  });

  it("flushes by bytes and keeps every body under the limit", async () => {
    const s = setup({ maxBatchBytes: 3000, maxBatchEvents: 500, flushIntervalMs: 100_000 });
    withEvents(s, 15);
    await s.tracker.flush();
    expect(s.requests.length).toBeGreaterThan(2);
    for (const r of s.requests) expect(new TextEncoder().encode(r.body).length).toBeLessThanOrEqual(3000);
    expect(s.requests.flatMap((r) => r.events.map((e) => e.seq))).toEqual([...Array(15).keys()]);
  });

  it("posts JSON to {endpoint}/v1/events with the write key in x-reeltime-key, keepalive", async () => {
    const s = setup();
    const spy = vi.spyOn(s.platform, "fetch");
    withEvents(s, 1);
    await s.tracker.flush();
    const [url, init] = spy.mock.calls[0]!;
    expect(url).toBe("https://collect.test/v1/events");
    expect(init).toMatchObject({
      method: "POST",
      keepalive: true,
      headers: { "content-type": "application/json", "x-reeltime-key": "wk_test" },
    });
    expect(Object.keys(JSON.parse(String(init!.body)))).toEqual(["events"]);
  });
});

describe("page lifecycle", () => {
  it("beacons the queue as text/plain with the key in the query when the page is hidden", () => {
    const s = setup({ flushIntervalMs: 100_000 });
    withEvents(s, 3);
    for (const cb of s.hooks.hidden) cb();
    expect(s.beacons).toHaveLength(1);
    expect(s.beacons[0]!.url).toBe("https://collect.test/v1/events?key=wk_test");
    expect(JSON.parse(s.beacons[0]!.body).events).toHaveLength(3);
    expect(s.tracker.deliveryStats()).toMatchObject({ beaconed: 3, queued: 0 });
  });

  it("sends the view_end of a page being hidden by beacon, not by fetch", async () => {
    const s = setup({ flushIntervalMs: 100_000 });
    withEvents(s, 3);
    for (const cb of s.hooks.hide) cb();
    await settle();
    expect(s.requests).toHaveLength(0);
    const beaconed = s.beacons.flatMap((b) => JSON.parse(b.body).events as { event_type: string }[]);
    expect(beaconed.map((e) => e.event_type).at(-1)).toBe("playback.view_end");
  });

  it("sends a fatal error at once, but batches non-fatal warnings", async () => {
    const s = setup({ plugins: [], flushIntervalMs: 100_000 });
    const media = new FakeMedia();
    const att = s.tracker.attach(media.asElement(), { video: { id: "vid-1" } });
    media.play();
    att.reportError({ severity: "non_fatal", code: "W" });
    await settle();
    expect(s.requests).toHaveLength(0);
    att.reportError({ severity: "fatal", code: "F" });
    await settle();
    expect(s.requests.flatMap((r) => r.events.map((e) => e.event_type))).toEqual([
      "playback.view_start",
      "playback.error",
      "playback.error",
      "playback.view_end",
    ]);
  });

  it("ends the view on pagehide and beacons its view_end; what the beacon refuses stays persisted", () => {
    const s = setup({ flushIntervalMs: 100_000 });
    s.state.beaconOk = false;
    withEvents(s, 3);
    for (const cb of s.hooks.hide) cb();
    expect(s.beacons).toHaveLength(0);
    expect(s.store.events.map((e) => e.event_type).at(-1)).toBe("playback.view_end");
  });
});

describe("offline queue", () => {
  it("has a hard cap: the oldest events are dropped first, and counted", async () => {
    const s = setup({ maxQueue: 10, flushIntervalMs: 100_000 });
    s.state.offline = true;
    withEvents(s, 25);
    await s.tracker.flush();
    expect(s.tracker.deliveryStats()).toMatchObject({ queued: 10, dropped: 15 });
    expect(s.store.events.map((e) => e.seq)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });

  it("defaults to a cap of 1000", async () => {
    const s = setup({ flushIntervalMs: 100_000 });
    s.state.offline = true;
    withEvents(s, 1101);
    await s.tracker.flush();
    expect(s.tracker.deliveryStats()).toMatchObject({ queued: 1000, dropped: 101 });
  });

  it("survives a reload: a new tracker sends what the last page left", async () => {
    const fake = fakePlatform();
    const store = memoryStore([{ event_type: "playback.pause", seq: 7 } as unknown as WireEvent]);
    const tracker = createTracker({
      endpoint: "https://c.test",
      writeKey: "k",
      appId: "a",
      platform: fake.platform,
      store,
    });
    await tracker.flush();
    expect(fake.requests[0]!.events.map((e) => e.seq)).toEqual([7]);
    expect(store.events).toEqual([]);
  });
});

describe("sampling", () => {
  it("keeps or drops whole views by view id, stamping the rate on each kept event", async () => {
    const s = setup({ sampleRate: 0.5 });
    const kept = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const media = new FakeMedia();
      s.tracker.attach(media.asElement(), { video: { id: `vid-${i}` } });
      media.play();
      media.fire("playing");
      media.at(0.1);
      media.pause();
    }
    const ev = await s.events();
    for (const e of ev) kept.add(e.view_id!);
    expect(kept.size).toBeGreaterThan(70);
    expect(kept.size).toBeLessThan(130);
    for (const id of kept) expect(ev.filter((e) => e.view_id === id)).toHaveLength(4);
    expect(ev.every((e) => e.sample_rate === 0.5)).toBe(true);
  });

  it("refuses a rate outside (0, 1]", () => {
    expect(() => setup({ sampleRate: 0 })).toThrow(/sampleRate/);
    expect(() => setup({ sampleRate: 1.5 })).toThrow(/sampleRate/);
  });
});

describe("debug, flush and destroy", () => {
  it("logs every event and delivery outcome in debug mode", async () => {
    const lines: string[] = [];
    const s = setup({ debug: (m) => lines.push(m) });
    s.state.respond = () => ({ status: 400 });
    withEvents(s, 1);
    await s.tracker.flush();
    expect(lines).toEqual([
      "playback.view_start",
      "playback.startup_complete",
      "playback.playing",
      "ingest refused events (400)",
    ]);
  });

  it("destroy ends views, removes listeners and flushes", async () => {
    const s = setup();
    const media = withEvents(s, 3);
    await s.tracker.destroy();
    expect(
      s
        .received()
        .map((e) => e.event_type)
        .at(-1),
    ).toBe("playback.view_end");
    expect(s.hooks.hide).toHaveLength(0);
    const before = s.received().length;
    media.pause();
    await s.tracker.flush();
    expect(s.received()).toHaveLength(before);
  });
});
