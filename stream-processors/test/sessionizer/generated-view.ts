import fc from "fast-check";
import type { ViewEvent } from "../../src/sessionizer/compute.ts";
import { timeline } from "./timeline.ts";

/** What a generated view's figures must be, known by construction (not computed by reeltime). */
export interface Truth {
  events: number;
  lastSeq: number;
  startupMs: number;
  playingMs: number;
  pausedMs: number;
  rebufferMs: number;
  rebuffers: number;
  seekingMs: number;
  seeks: number;
  seekLatencyMs: number;
  requests: number;
  warnings: number;
  maxMilestone: number;
  ended: boolean;
}

type Segment =
  | { kind: "play" | "pause" | "rebuffer" | "seek"; ms: number; heartbeat: boolean }
  | { kind: "request" }
  | { kind: "warning" }
  | { kind: "milestone"; percent: 10 | 25 | 50 | 75 | 100 };

const segment: fc.Arbitrary<Segment> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("play", "pause", "rebuffer", "seek") as fc.Arbitrary<"play" | "pause" | "rebuffer" | "seek">,
    ms: fc.integer({ min: 1, max: 60_000 }),
    heartbeat: fc.boolean(),
  }),
  fc.constant({ kind: "request" } as const),
  fc.constant({ kind: "warning" } as const),
  fc.record({
    kind: fc.constant("milestone" as const),
    percent: fc.constantFrom(10, 25, 50, 75, 100) as fc.Arbitrary<10>,
  }),
);

/** A view's events (seq 0, 1, 2... in row order) and the figures it must give. */
export const generatedView = (viewId: string) =>
  fc
    .record({
      startupMs: fc.integer({ min: 100, max: 8000 }),
      segments: fc.array(segment, { maxLength: 40 }),
      ended: fc.boolean(),
    })
    .map(({ startupMs, segments, ended }) => {
      const rows: [number, string, Record<string, unknown>?][] = [
        [0, "view_start"],
        [startupMs, "startup_complete", { startup_ms: startupMs }],
      ];
      const t: Truth = {
        events: 0,
        lastSeq: 0,
        startupMs,
        playingMs: 0,
        pausedMs: 0,
        rebufferMs: 0,
        rebuffers: 0,
        seekingMs: 0,
        seeks: 0,
        seekLatencyMs: 0,
        requests: 0,
        warnings: 0,
        maxMilestone: 0,
        ended,
      };
      let now = startupMs;
      for (const s of segments) {
        if (s.kind === "request") {
          rows.push([now, "request", { request: { kind: "fragment", failed: false, ttfb_ms: 40 } }]);
          t.requests++;
        } else if (s.kind === "warning") {
          rows.push([now, "error", { error: { severity: "non_fatal", code: "FRAG_LOAD_TIMEOUT" } }]);
          t.warnings++;
        } else if (s.kind === "milestone") {
          rows.push([now, "milestone", { percent: s.percent }]);
          t.maxMilestone = Math.max(t.maxMilestone, s.percent);
        } else {
          const start = now;
          now += s.ms;
          // A heartbeat in the middle of the interval, reporting the state it is in and the SDK's
          // running totals there (half of this interval counts when it is playing or rebuffering).
          const mid = start + Math.floor(s.ms / 2);
          const half = mid - start;
          const hb = (state: string) =>
            [
              mid,
              "heartbeat",
              {
                state,
                stats: {
                  playing_ms: t.playingMs + (s.kind === "play" ? half : 0),
                  rebuffer_ms: t.rebufferMs + (s.kind === "rebuffer" ? half : 0),
                  rebuffer_count: t.rebuffers + (s.kind === "rebuffer" ? 1 : 0),
                },
              },
            ] as [number, string, Record<string, unknown>];
          if (s.kind === "play") {
            if (s.heartbeat) rows.push(hb("playing"));
            t.playingMs += s.ms;
          } else if (s.kind === "pause") {
            rows.push([start, "pause"]);
            if (s.heartbeat) rows.push(hb("paused"));
            rows.push([now, "play"], [now, "playing"]);
            t.pausedMs += s.ms;
          } else if (s.kind === "rebuffer") {
            rows.push([start, "rebuffer_start"]);
            if (s.heartbeat) rows.push(hb("rebuffering"));
            rows.push([now, "rebuffer_end", { duration_ms: s.ms }]);
            t.rebufferMs += s.ms;
            t.rebuffers++;
          } else {
            rows.push([start, "seek_start", { from_ms: 0, to_ms: 1000 }]);
            if (s.heartbeat) rows.push(hb("seeking"));
            rows.push([now, "seek_end", { from_ms: 0, to_ms: 1000, latency_ms: s.ms }]);
            t.seekingMs += s.ms;
            t.seeks++;
            t.seekLatencyMs += s.ms;
          }
        }
      }
      // The last event closes the last interval (time after it is unknown to anyone).
      const stats = { playing_ms: t.playingMs, rebuffer_ms: t.rebufferMs, rebuffer_count: t.rebuffers };
      if (ended) rows.push([now, "view_end", { reason: "ended", stats }]);
      else rows.push([now, "heartbeat", { state: "playing", stats }]);
      t.events = rows.length;
      t.lastSeq = rows.length - 1;
      return { events: timeline(rows, viewId), truth: t };
    });

/**
 * The events as a network delivers them: each moved at most `displacement` places from where
 * it belongs, some sent twice (anywhere after the first copy).
 */
export const delivery = (events: ViewEvent[], displacement: number) =>
  fc
    .record({
      jitter: fc.array(fc.float({ min: 0, max: Math.fround(displacement), noNaN: true }), {
        minLength: events.length,
        maxLength: events.length,
      }),
      dups: fc.array(fc.tuple(fc.nat(events.length - 1), fc.nat(events.length)), { maxLength: 6 }),
    })
    .map(({ jitter, dups }) => {
      const out = events
        .map((e, i) => ({ e, at: i + jitter[i]! }))
        .sort((a, b) => a.at - b.at)
        .map((x) => x.e);
      for (const [which, where] of dups) {
        const first = out.indexOf(events[which]!);
        out.splice(Math.max(first + 1, Math.min(where, out.length)), 0, events[which]!);
      }
      return out;
    });
