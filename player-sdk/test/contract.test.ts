import { EVENT_TYPES, SERVER_EVENT_TYPES, validateEvent } from "@reeltime/events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { trackClick } from "../src/clicks/clicks.ts";
import type { WireEvent } from "../src/contract.ts";
import { hlsPlugin } from "../src/hls/hls-plugin.ts";
import { sampleValue } from "../src/sampling.ts";
import { uuidv7 } from "../src/uuid.ts";
import { qualityScore, smoothnessScore, startupScore, upscale } from "../src/view/metrics.ts";
import { FakeHls, FakeMedia, setup } from "./fakes.ts";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2026-11-22T10:00:00.000Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

/** Every event type the SDK emits; `playback.cmcd` is made by the server from hls.js CMCD reports. */
// CMCD reports go to /v1/cmcd from hls.js itself; playback.delivery is made by reeltime from CDN logs.
const EMITTED = EVENT_TYPES.filter((t) => t.startsWith("playback.") || t === "click").filter(
  (t) => t !== "playback.cmcd" && !SERVER_EVENT_TYPES.includes(t),
);

describe("the event contract", () => {
  it("every event type the SDK emits validates with validateEvent", async () => {
    const s = setup({ plugins: [hlsPlugin()] });
    const media = new FakeMedia();
    media.duration = 20;
    const hls = new FakeHls();
    const att = s.tracker.attach(media.asElement(), {
      video: { id: "vid-1", title: "A title", source_url: "https://cdn.test/m.m3u8" },
      hls,
      attributes: { "plan.tier": "gold" },
    });
    media.play();
    hls.emit("hlsFragLoaded", {
      frag: {
        type: "main",
        level: 0,
        url: "u",
        stats: { loaded: 1, retry: 0, loading: { start: 1, first: 2, end: 3 } },
      },
    });
    hls.emit("hlsFragChanged", { frag: { type: "main", level: 0 } });
    media.fire("waiting");
    media.fire("playing");
    media.at(3);
    media.fire("waiting");
    media.fire("playing");
    media.pause();
    media.play();
    media.fire("playing");
    media.seek(15);
    media.seekDone();
    hls.emit("hlsFragChanged", { frag: { type: "main", level: 2 } });
    hls.emit("hlsError", { type: "networkError", details: "levelLoadError", fatal: false, error: new Error("e") });
    vi.advanceTimersByTime(10_000);
    trackClick(s.tracker, {
      tagName: "BUTTON",
      id: "b",
      getAttribute: () => null,
      attributes: [],
      textContent: "Go",
      parentElement: null,
    } as unknown as Element);
    media.end();
    await s.tracker.flush();
    const events: WireEvent[] = s.received();
    const seen = new Set(events.map((e) => e.event_type));
    expect([...seen].sort()).toEqual([...EMITTED].sort());
    for (const e of events) {
      const r = validateEvent(e);
      expect(r.ok ? [] : r.errors, e.event_type).toEqual([]);
    }
    expect(att.metrics()!.playbackSuccess).toBe(100);
  });

  it("makes lowercase UUIDv7 event ids carrying their creation time", () => {
    const id = uuidv7(Date.parse("2026-11-22T10:00:00.000Z"), new Uint8Array(10).fill(255));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replace("-", "").slice(0, 12), 16)).toBe(Date.parse("2026-11-22T10:00:00.000Z"));
    expect(uuidv7(1, new Uint8Array(10))).toBe("00000000-0001-7000-8000-000000000000");
  });

  it("samples deterministically in [0, 1)", () => {
    expect(sampleValue("view-a")).toBe(sampleValue("view-a"));
    expect(sampleValue("view-a")).not.toBe(sampleValue("view-b"));
    for (const id of ["", "x", "0192f3a0-7c1e-7d2a-9b1c-3e4f5a6b7c8d"]) {
      expect(sampleValue(id)).toBeGreaterThanOrEqual(0);
      expect(sampleValue(id)).toBeLessThan(1);
    }
  });
});

describe("QoE scores (QOE.md, hand-computed)", () => {
  it("startup score: 0.4 s → 95, 2 s → 80, 8 s → 50", () => {
    expect(startupScore(400)).toBeCloseTo(95.238, 3);
    expect(startupScore(2000)).toBe(80);
    expect(startupScore(8000)).toBe(50);
  });

  it("smoothness score: no stalls → 100; 2 stalls at 1 % → 80.597", () => {
    expect(smoothnessScore(0, 0)).toBe(100);
    expect(smoothnessScore(2, 0.01)).toBeCloseTo(80.597, 3);
  });

  it("upscale: 720p in a 1080p box = 0.5; never negative; CSS size × devicePixelRatio", () => {
    expect(upscale(1920, 1080, 1, 1280, 720)).toBe(0.5);
    expect(upscale(640, 360, 1, 1920, 1080)).toBe(0);
    expect(upscale(960, 540, 2, 1280, 720)).toBe(0.5);
    expect(qualityScore(0, 0)).toBe(100);
    expect(qualityScore(0.5, 0.5)).toBeCloseTo(84.79, 2);
  });
});
