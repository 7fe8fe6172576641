import { describe, expect, it } from "vitest";
import type { WireEvent } from "../src/contract.ts";
import { ORPHAN_AFTER_MS, tabStore } from "../src/delivery/tab-store.ts";
import type { KeyValueStore, LockManagerLike } from "../src/platform/platform.ts";
import { createTracker } from "../src/tracker.ts";
import { FakeMedia, fakePlatform } from "./fakes.ts";

/** localStorage as one origin's tabs share it: one map, enumerable. */
class FakeStorage implements KeyValueStore {
  readonly map = new Map<string, string>();
  getItem = (k: string) => this.map.get(k) ?? null;
  setItem = (k: string, v: string) => void this.map.set(k, v);
  removeItem = (k: string) => void this.map.delete(k);
  key = (i: number) => [...this.map.keys()][i] ?? null;
  get length() {
    return this.map.size;
  }
}

/** Web Locks for one origin: exclusive locks, `ifAvailable`, released when the callback's promise settles. */
class FakeLocks implements LockManagerLike {
  readonly held = new Set<string>();
  readonly #waiting = new Map<string, (() => void)[]>();
  async request(name: string, options: { ifAvailable?: boolean }, cb: (lock: unknown) => unknown): Promise<unknown> {
    if (this.held.has(name)) {
      if (options.ifAvailable) return cb(null);
      await new Promise<void>((r) => this.#waiting.set(name, [...(this.#waiting.get(name) ?? []), r]));
    }
    this.held.add(name);
    try {
      return await cb({ name });
    } finally {
      this.held.delete(name);
      this.#waiting.get(name)?.shift()?.();
    }
  }
}

const settle = (ms = 20) => new Promise((r) => setTimeout(r, ms));

/** One tab: a tracker on its own fake platform over the shared storage and locks. */
function tab(storage: FakeStorage, locks: FakeLocks | undefined, clock: { now: number }) {
  const fake = fakePlatform();
  fake.platform.localStorage = storage;
  fake.platform.wallNow = () => clock.now;
  if (locks) fake.platform.locks = locks;
  fake.platform.online = () => !fake.state.offline;
  const made: WireEvent[] = [];
  const tracker = createTracker({
    endpoint: "https://collect.test",
    writeKey: "wk_test",
    appId: "shop",
    platform: fake.platform,
    flushIntervalMs: 5,
    debug: (_m, d) => {
      if (d && typeof d === "object" && "event_id" in d) made.push(d as WireEvent);
    },
  });
  const media = new FakeMedia();
  tracker.attach(media.asElement(), { video: { id: "vid-1" } });
  const play = (n: number) => {
    media.play();
    media.fire("playing");
    media.at(0.1);
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) media.pause();
      else {
        media.play();
        media.fire("playing");
      }
    }
  };
  return { ...fake, tracker, media, made, play };
}

const ownKeys = (s: FakeStorage) => [...s.map.keys()].filter((k) => k.startsWith("reeltime.queue.shop"));

describe("offline queue across tabs", () => {
  it("two tabs offline at once, one closed: the other delivers every event of both, each once", async () => {
    const storage = new FakeStorage();
    const locks = new FakeLocks();
    const clock = { now: Date.parse("2026-12-03T08:00:00Z") };
    const a = tab(storage, locks, clock);
    const b = tab(storage, locks, clock);
    a.state.offline = b.state.offline = true;
    a.play(6);
    b.play(9);
    await settle();
    // Each tab persisted its own queue under its own key: neither wrote over the other.
    expect(ownKeys(storage)).toHaveLength(2);
    expect(a.made.length).toBeGreaterThan(5);
    expect(b.made.length).toBeGreaterThan(8);
    // Tab B is closed while offline: no beacon (it would be lost), the queue stays; its lock goes.
    for (const cb of b.hooks.hide) cb();
    expect(b.beacons).toEqual([]);
    await b.tracker.destroy(); // the tab is gone: its timers stop, its lock is freed
    expect(ownKeys(storage)).toHaveLength(2);
    clock.now += 5000;
    a.state.offline = false;
    for (const cb of a.hooks.online) cb();
    await settle(100);
    await a.tracker.flush();

    const received = a.received();
    const ids = received.map((e) => e.event_id);
    const expected = [...a.made, ...b.made].map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length); // each once
    expect(new Set(ids)).toEqual(new Set(expected)); // all of both tabs
    expect(received.filter((e) => e.session_id === b.tracker.sessionId).length).toBe(b.made.length);
    expect(ownKeys(storage)).toEqual([]);
  });

  it("a live tab's queue is never adopted, and a closed tab's queue by one tab only", async () => {
    const storage = new FakeStorage();
    const locks = new FakeLocks();
    const clock = { now: Date.parse("2026-12-03T08:00:00Z") };
    const a = tab(storage, locks, clock);
    const b = tab(storage, locks, clock);
    a.state.offline = b.state.offline = true;
    a.play(4);
    b.play(4);
    await settle();
    clock.now += 5000;
    // Both online, both alive: each sends its own events, neither adopts the other's.
    a.state.offline = b.state.offline = false;
    for (const cb of [...a.hooks.online, ...b.hooks.online]) cb();
    await settle(100);
    await Promise.all([a.tracker.flush(), b.tracker.flush()]);
    const all = [...a.received(), ...b.received()].map((e) => e.event_id);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(a.made.length + b.made.length);
    expect(a.received().every((e) => e.session_id === a.tracker.sessionId)).toBe(true);

    // A queue left by a closed tab, seen by two tabs adopting at once: one takes it.
    const left = [{ event_id: "e-left-1" }, { event_id: "e-left-2" }] as WireEvent[];
    storage.setItem("reeltime.queue.shop:gone", JSON.stringify({ at: clock.now - 60_000, events: left }));
    const took: WireEvent[][] = [];
    const stores = [1, 2].map((i) =>
      tabStore({ kv: storage, prefix: "reeltime.queue.shop", tabId: `t${i}`, locks, wallNow: () => clock.now }),
    );
    await Promise.all(stores.map((s) => s.adopt!((events) => took.push(events))));
    expect(took).toEqual([left]);
    expect(storage.getItem("reeltime.queue.shop:gone")).toBeNull();
  });

  it("without Web Locks, adopts a queue left unwritten for ORPHAN_AFTER_MS, and the old single key at once", async () => {
    const storage = new FakeStorage();
    const clock = { now: 1_000_000_000 };
    const fresh = [{ event_id: "fresh" }] as WireEvent[];
    const old = [{ event_id: "old" }] as WireEvent[];
    const legacy = [{ event_id: "legacy" }] as WireEvent[];
    storage.setItem("reeltime.queue.shop:t-fresh", JSON.stringify({ at: clock.now - 1000, events: fresh }));
    storage.setItem("reeltime.queue.shop:t-old", JSON.stringify({ at: clock.now - ORPHAN_AFTER_MS, events: old }));
    storage.setItem("reeltime.queue.shop", JSON.stringify(legacy));
    storage.setItem("reeltime.queue.other:t-old", JSON.stringify({ at: 0, events: old }));
    const store = tabStore({ kv: storage, prefix: "reeltime.queue.shop", tabId: "me", wallNow: () => clock.now });
    const took: string[] = [];
    await store.adopt!((events) => took.push(...events.map((e) => e.event_id)));
    expect(took.sort()).toEqual(["legacy", "old"]);
    expect([...storage.map.keys()].sort()).toEqual(["reeltime.queue.other:t-old", "reeltime.queue.shop:t-fresh"]);
  });
});
