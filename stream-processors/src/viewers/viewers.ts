import type { Archive, ConsumedBatch } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import { type Committer, decode, type LiveSnapshot, liveSnapshotKey, type Processor } from "@reeltime/processing";
import type { Registry } from "@reeltime/runtime";
import { type ViewersMetrics, viewersMetrics } from "./metrics.ts";
import { type EventDelta, type ViewerEvent, ViewerWindow, type WindowOptions } from "./window.ts";

export interface ViewersOptions {
  window?: Partial<WindowOptions>;
  /** How often gauges are set and each partition's snapshot is written (default 2 s). */
  tickMs?: number;
  /** Live streams given a `stream` label of their own per instance; the others share `_other` (default 100). */
  maxStreams?: number;
  /** A stream label with nothing for this long is given back, its series removed (default 10 min). */
  labelIdleMs?: number;
}

export const OTHER_STREAM = "_other";

/**
 * Bounded `stream` label values: the first `max` live streams an instance meets keep their name,
 * later ones are counted as `_other` until a name is given back after `idleMs` without activity.
 */
export class StreamLabels {
  readonly #names = new Map<string, number>();
  readonly max: number;
  readonly idleMs: number;

  constructor(max: number, idleMs: number) {
    this.max = max;
    this.idleMs = idleMs;
  }

  label(app: string, stream: string, now: number): { app: string; stream: string } {
    const key = `${app}\u0000${stream}`;
    if (this.#names.has(key) || this.#names.size < this.max) {
      this.#names.set(key, now);
      return { app, stream };
    }
    return { app, stream: OTHER_STREAM };
  }

  /** Names idle for `idleMs`, given back (their series are to be removed). */
  expire(now: number): { app: string; stream: string }[] {
    const out: { app: string; stream: string }[] = [];
    for (const [key, at] of this.#names)
      if (at < now - this.idleMs) {
        this.#names.delete(key);
        const [app, stream] = key.split("\u0000") as [string, string];
        out.push({ app, stream });
      }
    return out;
  }
}

interface Part {
  topic: string;
  partition: string;
  hold: number | undefined;
  window: ViewerWindow;
}

/**
 * Concurrent viewers per live stream, and the QoE counters alerts read, in real time. Reads
 * playback events (its own consumer group), keeps each partition's views of the last minutes in
 * a ViewerWindow, and every tick sets `reeltime_live_viewers` and writes the partition's figures
 * to the archive (`_live/viewers/<topic>/<partition>.json`, read by GET /v1/live/viewers).
 *
 * Its state is valid within one hold on a partition and is not checkpointed: after a restart or a
 * rebalance the partition is read from the last commit with an empty window, so viewers are
 * complete again one viewer window later (every view reports within it) and the last-minute
 * figures one minute later. Nothing is counted twice meanwhile: a view met mid-way counts from its
 * first report on, and an event seen twice in one hold adds nothing.
 */
export class ViewersProcessor implements Processor {
  readonly name = "viewers";
  readonly group = "reeltime-viewers";
  readonly topics = [TOPICS.playback];
  readonly commit = "after-handler" as const;
  readonly tickMs: number;
  readonly metrics: ViewersMetrics;
  readonly #archive: Archive | undefined;
  readonly #opts: Partial<WindowOptions>;
  readonly #parts = new Map<string, Part>();
  readonly #labels: StreamLabels;
  readonly #now: () => number;

  constructor(
    deps: { registry: Registry; archive?: Archive; now?: () => number; metrics?: ViewersMetrics },
    opts: ViewersOptions = {},
  ) {
    this.metrics = deps.metrics ?? viewersMetrics(deps.registry);
    this.#archive = deps.archive;
    this.#opts = opts.window ?? {};
    this.tickMs = opts.tickMs ?? 2000;
    this.#labels = new StreamLabels(opts.maxStreams ?? 100, opts.labelIdleMs ?? 600_000);
    this.#now = deps.now ?? Date.now;
  }

  async handle(batch: ConsumedBatch, commit: Committer): Promise<void> {
    const part = this.#part(batch.topic, batch.partition, commit.hold(batch.topic, batch.partition));
    const now = this.#now();
    for (const m of batch.messages) {
      const e = decode<ViewerEvent>(m);
      // Anything unreadable is the indexer's to dead-letter; here it only counts nothing.
      if (!e || typeof e.event_type !== "string" || typeof e.event_id !== "string" || typeof e.seq !== "number")
        continue;
      this.#count(part.window.add(e, now), now);
    }
  }

  async tick(commit: Committer): Promise<void> {
    await this.#publish(commit);
  }

  async flush(commit: Committer): Promise<void> {
    await this.#publish(commit);
  }

  /** This instance's partitions' figures at `now` (tests, the bench). */
  figures(now: number = this.#now()) {
    return [...this.#parts.values()].flatMap((p) => p.window.figures(now));
  }

  #part(topic: string, partition: string, hold: number | undefined): Part {
    const key = `${topic}\u0000${partition}`;
    let p = this.#parts.get(key);
    // A new hold: another instance may have had the partition since; start afresh.
    if (!p || p.hold !== hold) {
      p = { topic, partition, hold, window: new ViewerWindow(this.#opts) };
      this.#parts.set(key, p);
    }
    return p;
  }

  #count(d: EventDelta, now: number): void {
    if (d.duplicate || d.late) return;
    const m = this.metrics;
    const type = { stream_type: d.live ? "live" : "vod" };
    if (d.started) m.started.inc(type, d.started);
    if (d.startupFailures) m.startupFailures.inc(type, d.startupFailures);
    if (d.rebufferMs) m.rebufferSeconds.inc(type, d.rebufferMs / 1000);
    if (d.playingMs) m.playingSeconds.inc(type, d.playingMs / 1000);
    if (!d.live) return;
    const labels = this.#labels.label(d.app, d.stream, now);
    if (d.started) m.liveStarted.inc(labels, d.started);
    if (d.startupFailures) m.liveStartupFailures.inc(labels, d.startupFailures);
    if (d.rebufferMs) m.liveRebufferSeconds.inc(labels, d.rebufferMs / 1000);
    if (d.playingMs) m.livePlayingSeconds.inc(labels, d.playingMs / 1000);
    if (d.latencyMs !== undefined) m.liveLatency.observe(labels, d.latencyMs / 1000);
  }

  async #publish(commit: Committer): Promise<void> {
    const now = this.#now();
    const viewers = new Map<string, { app: string; stream: string; n: number }>();
    for (const [key, p] of this.#parts) {
      if (commit.hold(p.topic, p.partition) !== p.hold) {
        this.#parts.delete(key);
        continue;
      }
      p.window.prune(now);
      const figures = p.window.figures(now);
      for (const f of figures) {
        const labels = this.#labels.label(f.app, f.stream, now);
        const k = `${labels.app}\u0000${labels.stream}`;
        const v = viewers.get(k) ?? { ...labels, n: 0 };
        v.n += f.viewers;
        viewers.set(k, v);
      }
      if (this.#archive) {
        const snapshot: LiveSnapshot = { at: new Date(now).toISOString(), figures };
        await this.#archive.put(
          liveSnapshotKey(p.topic, p.partition),
          new TextEncoder().encode(JSON.stringify(snapshot)),
          { contentType: "application/json" },
        );
      }
    }
    const m = this.metrics;
    m.liveViewers.reset();
    for (const v of viewers.values()) m.liveViewers.set({ app: v.app, stream: v.stream }, v.n);
    for (const labels of this.#labels.expire(now))
      for (const metric of [
        m.liveStarted,
        m.liveStartupFailures,
        m.liveRebufferSeconds,
        m.livePlayingSeconds,
        m.liveLatency,
      ])
        metric.remove(labels);
  }
}

export { viewersMetrics };
