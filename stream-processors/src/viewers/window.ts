/**
 * The window maths of the viewers processor, for one bus partition (views are keyed by `view_id`,
 * so each view lives in one partition). Pure: time comes in as arguments.
 *
 * - A view's events are placed on the server's clock: `client_ts` plus the smallest
 *   `received_at − client_ts` seen for the view (the device's clock offset plus the shortest
 *   transit), never later than `received_at`. An event a device held back (an offline queue, a
 *   retried beacon) lands when it happened, not when it arrived.
 * - A viewer, now: a view of a live stream whose latest state (by `seq`) is starting, playing or
 *   rebuffering, that has not ended and reported within `viewerWindowMs`.
 * - Over the last `statsWindowMs`: views started, startup failures (a fatal error with no first
 *   frame of a lower `seq`), rebuffering and playing time (growth of the SDK's running totals),
 *   live latency samples.
 * - Duplicates (a `seq` the view already had: the SDK numbers each view's events 0, 1, 2...,
 *   kept as ranges, a few numbers per view) change nothing; out-of-order events are placed by
 *   `seq` and their own time; an event older than `retainMs` is late and ignored, so a view whose
 *   state was dropped is never counted again. CMCD reports (numbered by their own `sn`) only show
 *   that a known view is alive; `playback.delivery` (made by reeltime from CDN logs) is no player
 *   report and is left out.
 */
import type { StreamFigures } from "@reeltime/processing";
import { addSeq, type SeqRanges } from "../sessionizer/seq-ranges.ts";

export interface WindowOptions {
  /** A view reporting within this long counts as a viewer (heartbeats come every 10 s). */
  viewerWindowMs: number;
  /** "The last minute" of startup failures, rebuffering and latency. */
  statsWindowMs: number;
  /** A view's state is kept this long after its last event; older events are late. */
  retainMs: number;
}

export const WINDOW_DEFAULTS: WindowOptions = { viewerWindowMs: 25_000, statsWindowMs: 60_000, retainMs: 300_000 };

/** The fields of a playback event the window reads (the contract's PlaybackEvent, loosely). */
export interface ViewerEvent {
  event_id: string;
  event_type: string;
  seq: number;
  client_ts: string;
  received_at?: string;
  app_id?: string;
  view_id?: string;
  sample_rate?: number;
  video?: { id?: string; stream_type?: string };
  state?: string;
  stats?: { playing_ms?: number; rebuffer_ms?: number; startup_ms?: number };
  error?: { severity?: string };
  /** LiveStats of heartbeats and view_end: latency_ms = wall clock − program date time at the playhead. */
  live?: { latency_ms?: number };
}

/** What an event added that no earlier event of its view had: the processor's counters. */
export interface EventDelta {
  live: boolean;
  app: string;
  stream: string;
  started: number;
  startupFailures: number;
  rebufferMs: number;
  playingMs: number;
  latencyMs?: number;
  late: boolean;
  duplicate: boolean;
}

export const MAX_LATENCY_SAMPLES = 2000;
const COUNTED_STATES = new Set(["loading", "startup", "playing", "rebuffering"]);
const STATE_OF: Record<string, string> = {
  "playback.view_start": "startup",
  "playback.play": "startup",
  "playback.playing": "playing",
  "playback.startup_complete": "playing",
  "playback.rebuffer_start": "rebuffering",
  "playback.rebuffer_end": "playing",
  "playback.pause": "paused",
  "playback.seek_start": "seeking",
  "playback.view_end": "ended",
};

/** Whether an event is of a live view (`video.stream_type`). */
export const isLive = (e: ViewerEvent) => e.video?.stream_type === "live";
/**
 * The live latency an event reports, ms. Kept as reported, also below zero (a device clock behind
 * the encoder's): leaving those out would bias the percentiles upwards.
 */
export const liveLatencyOf = (e: ViewerEvent): number | undefined => {
  const v = e.live?.latency_ms;
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
};

interface Sample {
  at: number;
  rebufferMs: number;
  playingMs: number;
}

interface View {
  app: string;
  stream: string;
  live: boolean;
  weight: number;
  offset: number;
  lastSeen: number;
  stateSeq: number;
  state: string;
  startedAt?: number;
  startSeen: boolean;
  firstFrameSeq?: number;
  fatal?: { seq: number; at: number };
  failureCounted: boolean;
  /** Running totals as reported, in time order; the first one is the baseline when the start was not seen. */
  samples: Sample[];
  counted: { rebufferMs: number; playingMs: number };
  latency: { at: number; ms: number }[];
  seqs: SeqRanges;
}

const emptyDelta = (v: { app: string; stream: string; live: boolean }): EventDelta => ({
  app: v.app,
  stream: v.stream,
  live: v.live,
  started: 0,
  startupFailures: 0,
  rebufferMs: 0,
  playingMs: 0,
  late: false,
  duplicate: false,
});

/** A fatal error with no first frame of a lower seq (exact whatever order the events came in). */
const failedAtStartup = (v: View) =>
  v.fatal !== undefined && !(v.firstFrameSeq !== undefined && v.firstFrameSeq < v.fatal.seq);

/** Running totals at time t: the largest reported at or before t (they only grow). */
function totalsAt(v: View, t: number): { rebufferMs: number; playingMs: number } {
  let r = 0;
  let p = 0;
  let any = false;
  for (const s of v.samples)
    if (s.at <= t) {
      any = true;
      r = Math.max(r, s.rebufferMs);
      p = Math.max(p, s.playingMs);
    }
  // Before any report: zero if the view started under our eyes, else the first report (a view
  // met mid-way, after a restart, counts from there on).
  if (!any && !v.startSeen && v.samples.length > 0)
    return { rebufferMs: v.samples[0]!.rebufferMs, playingMs: v.samples[0]!.playingMs };
  return { rebufferMs: r, playingMs: p };
}

export class ViewerWindow {
  readonly #opts: WindowOptions;
  readonly #views = new Map<string, View>();

  constructor(opts: Partial<WindowOptions> = {}) {
    this.#opts = { ...WINDOW_DEFAULTS, ...opts };
  }

  get size(): number {
    return this.#views.size;
  }

  /** Folds one event in; returns what it added (zero for a duplicate or a late event). */
  add(e: ViewerEvent, now: number): EventDelta {
    const viewId = e.view_id;
    const received = Date.parse(e.received_at ?? e.client_ts);
    const client = Date.parse(e.client_ts);
    const app = e.app_id ?? "";
    const stream = e.video?.id ?? "";
    let v = viewId === undefined ? undefined : this.#views.get(viewId);
    if (viewId === undefined || !Number.isFinite(received) || !Number.isFinite(client))
      return { ...emptyDelta({ app, stream, live: isLive(e) }), late: true };
    if (e.event_type === "playback.delivery") return emptyDelta({ app, stream, live: isLive(e) });
    const offset = Math.min(v?.offset ?? Number.POSITIVE_INFINITY, received - client);
    const at = Math.min(received, client + offset);
    if (at < now - this.#opts.retainMs) return { ...emptyDelta(v ?? { app, stream, live: isLive(e) }), late: true };
    if (e.event_type === "playback.cmcd") {
      // It joins a view and never starts one; its `seq` is the report's own `sn`.
      if (v) v.lastSeen = Math.max(v.lastSeen, Math.min(received, client + v.offset));
      return emptyDelta(v ?? { app, stream, live: isLive(e) });
    }
    if (v && !addSeq(v.seqs, e.seq)) return { ...emptyDelta(v), duplicate: true };
    if (!v) {
      v = {
        app,
        stream,
        live: isLive(e),
        weight: e.sample_rate ? 1 / e.sample_rate : 1,
        offset,
        lastSeen: at,
        stateSeq: -1,
        state: "loading",
        startSeen: false,
        failureCounted: false,
        samples: [],
        counted: { rebufferMs: 0, playingMs: 0 },
        latency: [],
        seqs: [e.seq, e.seq],
      };
      this.#views.set(viewId, v);
    }
    v.offset = offset;
    v.live ||= isLive(e);
    v.lastSeen = Math.max(v.lastSeen, at);
    const delta = emptyDelta(v);

    const state = e.event_type === "playback.heartbeat" ? e.state : STATE_OF[e.event_type];
    const fatal = e.event_type === "playback.error" && e.error?.severity === "fatal";
    if ((state !== undefined || fatal) && e.seq > v.stateSeq) {
      v.stateSeq = e.seq;
      v.state = fatal ? "error" : state!;
    }
    if (e.event_type === "playback.view_start" && !v.startSeen) {
      v.startSeen = true;
      v.startedAt = at;
      delta.started = v.weight;
    }
    const firstFrame =
      e.event_type === "playback.startup_complete" ||
      e.event_type === "playback.playing" ||
      (e.stats?.startup_ms !== undefined && e.event_type !== "playback.view_end");
    if (firstFrame) v.firstFrameSeq = Math.min(v.firstFrameSeq ?? Number.POSITIVE_INFINITY, e.seq);
    if (fatal && (v.fatal === undefined || e.seq < v.fatal.seq)) v.fatal = { seq: e.seq, at };
    // Only for a view seen starting: one met mid-way may have had its first frame before.
    if (!v.failureCounted && v.startSeen && failedAtStartup(v)) {
      v.failureCounted = true;
      delta.startupFailures = v.weight;
    }
    if (e.stats && typeof e.stats.playing_ms === "number" && typeof e.stats.rebuffer_ms === "number") {
      const first = v.samples.length === 0;
      v.samples.push({ at, rebufferMs: e.stats.rebuffer_ms, playingMs: e.stats.playing_ms });
      v.samples.sort((a, b) => a.at - b.at);
      // Counters grow by what the totals add beyond what was counted; a view met mid-way starts
      // counting from its first report.
      if (first && !v.startSeen) v.counted = { rebufferMs: e.stats.rebuffer_ms, playingMs: e.stats.playing_ms };
      const r = Math.max(v.counted.rebufferMs, e.stats.rebuffer_ms);
      const p = Math.max(v.counted.playingMs, e.stats.playing_ms);
      delta.rebufferMs = (r - v.counted.rebufferMs) * v.weight;
      delta.playingMs = (p - v.counted.playingMs) * v.weight;
      v.counted = { rebufferMs: r, playingMs: p };
    }
    const latency = liveLatencyOf(e);
    if (latency !== undefined) {
      v.latency.push({ at, ms: latency });
      delta.latencyMs = latency;
    }
    return delta;
  }

  /** Drops views silent for `retainMs` and samples no window needs any more. */
  prune(now: number): void {
    const keepFrom = now - this.#opts.statsWindowMs;
    for (const [id, v] of this.#views) {
      if (v.lastSeen < now - this.#opts.retainMs) {
        this.#views.delete(id);
        continue;
      }
      // The newest sample before the window stays: it is the window's baseline.
      const before = v.samples.filter((s) => s.at < keepFrom);
      if (before.length > 1) v.samples = [before.at(-1)!, ...v.samples.filter((s) => s.at >= keepFrom)];
      v.latency = v.latency.filter((l) => l.at >= keepFrom);
    }
  }

  /** Each live stream's figures at `now` (streams with no viewer and nothing in the window are left out). */
  figures(now: number): StreamFigures[] {
    const from = now - this.#opts.statsWindowMs;
    const out = new Map<string, StreamFigures & { samples: { at: number; ms: number }[] }>();
    for (const v of this.#views.values()) {
      if (!v.live) continue;
      const key = `${v.app}\u0000${v.stream}`;
      let f = out.get(key);
      if (!f) {
        f = {
          app: v.app,
          stream: v.stream,
          viewers: 0,
          started: 0,
          startupFailures: 0,
          rebufferMs: 0,
          playingMs: 0,
          latencyMs: [],
          samples: [],
        };
        out.set(key, f);
      }
      if (
        v.state !== "ended" &&
        COUNTED_STATES.has(v.state) &&
        v.lastSeen >= now - this.#opts.viewerWindowMs &&
        v.lastSeen <= now
      )
        f.viewers += v.weight;
      if (v.startedAt !== undefined && v.startedAt >= from && v.startedAt <= now) f.started += v.weight;
      if (v.startSeen && failedAtStartup(v) && v.fatal!.at >= from && v.fatal!.at <= now) f.startupFailures += v.weight;
      const a = totalsAt(v, from);
      const b = totalsAt(v, now);
      f.rebufferMs += Math.max(0, b.rebufferMs - a.rebufferMs) * v.weight;
      f.playingMs += Math.max(0, b.playingMs - a.playingMs) * v.weight;
      for (const l of v.latency) if (l.at >= from && l.at <= now) f.samples.push(l);
    }
    return [...out.values()]
      .map(({ samples, ...f }) => ({
        ...f,
        latencyMs: samples
          .sort((x, y) => x.at - y.at)
          .slice(-MAX_LATENCY_SAMPLES)
          .map((l) => l.ms)
          .sort((x, y) => x - y),
      }))
      .filter(
        (f) => f.viewers > 0 || f.started > 0 || f.startupFailures > 0 || f.playingMs > 0 || f.latencyMs.length > 0,
      );
  }
}
