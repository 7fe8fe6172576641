import { validateEvent } from "@reeltime/events";
import { expect } from "vitest";
import type { WireEvent } from "../src/contract.ts";
import { memoryStore } from "../src/delivery/store.ts";
import type { Platform } from "../src/platform/platform.ts";
import { createTracker } from "../src/tracker.ts";
import type { Tracker, TrackerConfig } from "../src/types.ts";

/** A media element driven by hand: set its fields, then fire the events a browser would. */
export class FakeMedia extends EventTarget {
  /** The element's tag: `video` here, `audio` for `fakeAudio()`. */
  localName = "video";
  paused = true;
  currentTime = 0;
  duration = Number.NaN;
  readyState = 4;
  seeking = false;
  ended = false;
  currentSrc = "https://cdn.test/v1.mp4";
  autoplay = false;
  muted = true;
  clientWidth = 1920;
  clientHeight = 1080;
  /** Size of the picture on screen (0 until the first frame); change it with `picture()`. */
  videoWidth = 0;
  videoHeight = 0;
  error: { code: number; message: string } | null = null;
  dropped = 3;
  decoded = 300;
  playbackRate = 1;

  /** A `<video>`'s frame counts; an `<audio>` element has no such method. */
  getVideoPlaybackQuality: (() => { droppedVideoFrames: number; totalVideoFrames: number }) | undefined = () => ({
    droppedVideoFrames: this.dropped,
    totalVideoFrames: this.decoded,
  });

  fire(type: string): void {
    this.dispatchEvent(new Event(type));
  }

  /** play() as a browser runs it: the request, then (when data is there) frames. */
  play(): void {
    this.paused = false;
    this.fire("play");
  }

  pause(): void {
    this.paused = true;
    this.fire("pause");
  }

  /** Moves the playhead (and fires timeupdate). */
  at(seconds: number): void {
    this.currentTime = seconds;
    this.fire("timeupdate");
  }

  seek(to: number): void {
    this.currentTime = to;
    this.seeking = true;
    this.fire("seeking");
  }

  seekDone(): void {
    this.seeking = false;
    this.fire("seeked");
  }

  end(): void {
    this.currentTime = this.duration;
    this.paused = true;
    this.ended = true;
    this.fire("pause");
    this.fire("ended");
  }

  /** The playback rate changes (a live player catching up with the edge). */
  rate(rate: number): void {
    this.playbackRate = rate;
    this.fire("ratechange");
  }

  /** The first frame of another size is presented. */
  picture(width: number, height: number): void {
    this.videoWidth = width;
    this.videoHeight = height;
    this.fire("resize");
  }

  asElement(): HTMLMediaElement {
    return this as unknown as HTMLMediaElement;
  }
}

/**
 * An `<audio>` element driven by hand, as a browser shows one with controls: a 300×54 box (the
 * controls, no picture), no picture size and no frame counts.
 */
export function fakeAudio(): FakeMedia {
  const media = new FakeMedia();
  media.localName = "audio";
  media.clientWidth = 300;
  media.clientHeight = 54;
  media.getVideoPlaybackQuality = undefined;
  return media;
}

/** A minimal hls.js: `on`/`off` plus `emit` to replay what hls.js would send. */
export class FakeHls {
  levels = [
    { bitrate: 800_000, width: 640, height: 360, name: "360p", videoCodec: "avc1.4d401e" },
    { bitrate: 2_500_000, width: 1280, height: 720, name: "720p", videoCodec: "avc1.4d401f" },
    { bitrate: 5_000_000, width: 1920, height: 1080, name: "1080p", videoCodec: "avc1.640028" },
  ];
  #listeners = new Map<string, Set<(e: string, d: unknown) => void>>();
  on(e: string, fn: (e: string, d: unknown) => void) {
    if (!this.#listeners.has(e)) this.#listeners.set(e, new Set());
    this.#listeners.get(e)!.add(fn);
  }
  off(e: string, fn: (e: string, d: unknown) => void) {
    this.#listeners.get(e)?.delete(fn);
  }
  emit(e: string, data: unknown) {
    for (const fn of this.#listeners.get(e) ?? []) fn(e, data);
  }
  count(): number {
    return [...this.#listeners.values()].reduce((n, s) => n + s.size, 0);
  }
}

export interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
  events: WireEvent[];
}

/** What the fake ingest API answers to one request. */
export type Responder = (events: WireEvent[]) => { status: number; body?: unknown; headers?: Record<string, string> };
export const acceptAll: Responder = (events) => ({
  status: 200,
  body: { results: events.map((_, index) => ({ index, ok: true })) },
});

/** A platform with a fake ingest API behind `fetch`, recorded beacons and page lifecycle triggers. */
export function fakePlatform() {
  const requests: Sent[] = [];
  const beacons: { url: string; body: string }[] = [];
  const hooks = { hide: [] as (() => void)[], hidden: [] as (() => void)[], online: [] as (() => void)[] };
  const state = { respond: acceptAll, beaconOk: true, offline: false };
  const platform: Platform = {
    now: () => Date.now(),
    wallNow: () => Date.now(),
    fetch: (async (url: string, init: RequestInit) => {
      if (state.offline) throw new TypeError("Failed to fetch");
      const body = String(init.body);
      const events = (JSON.parse(body) as { events: WireEvent[] }).events;
      requests.push({ url, headers: init.headers as Record<string, string>, body, events });
      const r = state.respond(events);
      return new Response(r.body === undefined ? null : JSON.stringify(r.body), {
        status: r.status,
        headers: r.headers ?? {},
      });
    }) as typeof fetch,
    sendBeacon: (url, body) => {
      if (!state.beaconOk) return false;
      beacons.push({ url, body });
      return true;
    },
    pageUrl: () => "https://shop.test/watch?v=1",
    referrer: () => "",
    onPageHide: (cb) => {
      hooks.hide.push(cb);
      return () => hooks.hide.splice(hooks.hide.indexOf(cb), 1);
    },
    onHidden: (cb) => {
      hooks.hidden.push(cb);
      return () => hooks.hidden.splice(hooks.hidden.indexOf(cb), 1);
    },
    onOnline: (cb) => {
      hooks.online.push(cb);
      return () => {};
    },
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    pixelRatio: () => 1,
  };
  /** Every event the fake ingest API received by fetch, then by beacon. */
  const received = (): WireEvent[] => [
    ...requests.flatMap((r) => r.events),
    ...beacons.flatMap((b) => (JSON.parse(b.body) as { events: WireEvent[] }).events),
  ];
  return { platform, requests, beacons, hooks, state, received };
}

/** A tracker on a fake platform, with an in-memory queue. */
export function setup(config: Partial<TrackerConfig> = {}) {
  const fake = fakePlatform();
  const store = memoryStore();
  const tracker = createTracker({
    endpoint: "https://collect.test/",
    writeKey: "wk_test",
    appId: "shop",
    platform: fake.platform,
    store,
    ...config,
  });
  /** Flushes and returns the playback/click events received so far, asserting each is valid. */
  const events = async (): Promise<WireEvent[]> => {
    await tracker.flush();
    const all = fake.received();
    expectValid(all);
    return all;
  };
  return { ...fake, tracker, store, events };
}

export const types = (events: WireEvent[], skip: string[] = ["playback.request", "playback.heartbeat"]) =>
  events.map((e) => e.event_type).filter((t) => !skip.includes(t));

export function expectValid(events: WireEvent[]): void {
  for (const e of events) {
    const r = validateEvent(e, 0);
    expect(r.ok ? [] : r.errors, `${e.event_type} must validate`).toEqual([]);
  }
}

export const ofType = <T extends WireEvent["event_type"]>(events: WireEvent[], type: T) =>
  events.filter((e): e is Extract<WireEvent, { event_type: T }> => e.event_type === type);

export type { Tracker };
