// Compact folding (one view's accumulator, seq ranges and reorder window) against figures known
// by construction: generated views whose durations and counts the generator sums itself,
// delivered shuffled within a bounded distance, with duplicates.
import type { ViewRecord } from "@reeltime/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeView, orderEvents } from "../../src/sessionizer/compute.ts";
import { loadView, saveView } from "../../src/sessionizer/saved-state.ts";
import { addEvent, newViewState, viewRecord } from "../../src/sessionizer/view-state.ts";
import { delivery, generatedView, type Truth } from "./generated-view.ts";
import { timeline } from "./timeline.ts";

const figures = (v: ViewRecord) => ({
  events: v.events,
  lastSeq: v.last_seq,
  startupMs: v.startup_ms,
  playingMs: v.playing_ms,
  pausedMs: v.paused_ms,
  rebufferMs: v.rebuffer_ms,
  rebuffers: v.rebuffer_count,
  seekingMs: v.watch_ms - v.playing_ms - v.rebuffer_ms - (v.startup_ms ?? 0),
  seeks: v.seek_count,
  seekLatencyMs: v.seek_latency_ms,
  requests: v.requests,
  warnings: v.non_fatal_errors,
  maxMilestone: v.max_milestone,
  ended: v.status === "ended",
});

const stream = (events: Parameters<typeof addEvent>[1][], window = { maxHeld: 64, maxWaitMs: 120_000 }) => {
  const s = newViewState();
  let changed = 0;
  for (const e of events) if (addEvent(s, e, 0, window)) changed++;
  return { record: viewRecord(s), changed, state: s };
};

describe("compact folding against figures known by construction", () => {
  it("shuffled within the reorder window and duplicated: every figure exact, equal to folding in order", () => {
    fc.assert(
      fc.property(
        generatedView("gen-view").chain((v) => delivery(v.events, 40).map((d) => ({ ...v, delivered: d }))),
        ({ events, truth, delivered }) => {
          const { record, changed } = stream(delivered);
          expect(figures(record)).toEqual(truth satisfies Truth);
          // Duplicates change nothing: exactly one change per distinct event.
          expect(changed).toBe(truth.events);
          expect(record).toEqual(computeView(events));
        },
      ),
      { numRuns: 300, seed: 14 },
    );
  });

  it("a checkpoint in the middle (saved as JSON, loaded back) changes nothing, and is smaller than the state's JSON", () => {
    fc.assert(
      fc.property(
        generatedView("gen-ckpt").chain((v) =>
          delivery(v.events, 10).chain((d) => fc.nat(d.length).map((cut) => ({ ...v, delivered: d, cut }))),
        ),
        ({ truth, delivered, cut }) => {
          const s = newViewState();
          for (const e of delivered.slice(0, cut)) addEvent(s, e, 0);
          const text = JSON.stringify(saveView(s));
          if (s.acc && !s.held) expect(text.length).toBeLessThan(JSON.stringify(s).length * 0.75);
          const back = loadView(JSON.parse(text));
          for (const e of delivered.slice(cut)) addEvent(back, e, 0);
          expect(figures(viewRecord(back))).toEqual(truth);
        },
      ),
      { numRuns: 200, seed: 17 },
    );
  });

  it("held-back events show in the record at once and do not stay in the state once their gap fills", () => {
    fc.assert(
      fc.property(generatedView("gen-gap"), ({ events, truth }) => {
        if (events.length < 3) return;
        // Everything but seq 1 arrives: the rest waits for it, yet the record counts it all.
        const s = newViewState();
        for (const e of events) if (e.seq !== 1) addEvent(s, e, 0);
        expect(viewRecord(s).events).toBe(truth.events - 1);
        expect(s.held?.length).toBe(events.length - 2);
        addEvent(s, events[1]!, 0);
        expect(s.held).toBeUndefined();
        expect(s.seqs).toEqual([0, truth.lastSeq]);
        expect(figures(viewRecord(s))).toEqual(truth);
      }),
      { numRuns: 100, seed: 15 },
    );
  });

  it("beyond the window, events still count once; what depends on no place stays exact", () => {
    fc.assert(
      fc.property(
        generatedView("gen-far").chain((v) => delivery(v.events, 30).map((d) => ({ ...v, delivered: d }))),
        ({ truth, delivered }) => {
          const { record, state } = stream(delivered, { maxHeld: 2, maxWaitMs: 120_000 });
          const f = figures(record);
          expect({
            events: f.events,
            lastSeq: f.lastSeq,
            seeks: f.seeks,
            seekLatencyMs: f.seekLatencyMs,
            requests: f.requests,
            warnings: f.warnings,
            maxMilestone: f.maxMilestone,
          }).toEqual({
            events: truth.events,
            lastSeq: truth.lastSeq,
            seeks: truth.seeks,
            seekLatencyMs: truth.seekLatencyMs,
            requests: truth.requests,
            warnings: truth.warnings,
            maxMilestone: truth.maxMilestone,
          });
          // The state holds no more than the window, whatever the disorder.
          expect(state.held?.length ?? 0).toBeLessThanOrEqual(2);
        },
      ),
      { numRuns: 200, seed: 16 },
    );
  });

  it("a long view keeps a state of constant size: no raw event stays once folded", () => {
    const size = (n: number) => {
      const rows = fc.sample(generatedView("gen-long"), { numRuns: 1, seed: n })[0]!;
      const ordered = orderEvents(rows.events);
      const { state } = stream(ordered);
      return { events: ordered.length, bytes: JSON.stringify(state).length };
    };
    const sizes = [1, 2, 3, 4, 5, 6, 7, 8].map(size).sort((a, b) => a.events - b.events);
    const few = sizes[0]!;
    const many = sizes.at(-1)!;
    expect(many.events).toBeGreaterThan(few.events * 2);
    // Raw events are ~600 bytes each; the state may differ by a few numbers' digits only.
    expect(Math.abs(many.bytes - few.bytes)).toBeLessThan(200);
  });
});

describe("sampling weight carried from the view's events", () => {
  const rows: [number, string, Record<string, unknown>?][] = [
    [0, "view_start", { sample_rate: 0.1 }],
    [500, "startup_complete", { startup_ms: 500, sample_rate: 0.1 }],
    [900, "heartbeat", { state: "playing", stats: { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 } }],
  ];
  it("a view kept at a 10 % sample stands for 10 views, also when its events arrive out of order", () => {
    const events = timeline(rows, "sampled");
    const s = newViewState();
    for (const e of [events[2]!, events[0]!, events[1]!]) addEvent(s, e, 0);
    expect(viewRecord(s)).toMatchObject({ sample_rate: 0.1, weight: 10 });
  });
  it("a view without sampling counts once", () => {
    const events = timeline(
      rows.map(([t, k, f]) => [t, k, { ...f, sample_rate: undefined }]),
      "unsampled",
    );
    expect(computeView(events)).toMatchObject({ sample_rate: 1, weight: 1 });
  });
});
