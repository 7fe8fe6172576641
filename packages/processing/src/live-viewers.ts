/**
 * The live viewers figures the viewers processor publishes, and how readers add them up. The
 * processor (stream-processors) writes one snapshot per partition it holds; the ingest API's GET
 * /v1/live/viewers (and `reeltime dev`, the bench) read them all and add them up. The format lives
 * here, in a library, so the writer and the readers share it without one app importing another.
 */
import type { Archive } from "@reeltime/connectors";
import { ReeltimeError } from "@reeltime/runtime";

/** Where the viewers processor writes each partition's figures: `<prefix><topic>/<partition>.json`. */
export const LIVE_SNAPSHOT_PREFIX = "_live/viewers/";

/** The archive key of one partition's snapshot. */
export const liveSnapshotKey = (topic: string, partition: string) =>
  `${LIVE_SNAPSHOT_PREFIX}${topic}/${partition}.json`;

/** One live stream's figures from one partition; partials of several partitions add up (see mergeFigures). */
export interface StreamFigures {
  app: string;
  stream: string;
  viewers: number;
  started: number;
  startupFailures: number;
  rebufferMs: number;
  playingMs: number;
  /** Live latency samples of the window, ms, ascending (the newest, at most the writer's MAX_LATENCY_SAMPLES). */
  latencyMs: number[];
}

/** One partition's live figures as its owner last wrote them. */
export interface LiveSnapshot {
  at: string;
  figures: StreamFigures[];
}

/** Adds up partials of the same stream (from several partitions or instances). */
export function mergeFigures(parts: Iterable<StreamFigures>): StreamFigures[] {
  const out = new Map<string, StreamFigures>();
  for (const p of parts) {
    const key = `${p.app}\u0000${p.stream}`;
    const f = out.get(key);
    if (!f) {
      out.set(key, { ...p, latencyMs: [...p.latencyMs] });
      continue;
    }
    f.viewers += p.viewers;
    f.started += p.started;
    f.startupFailures += p.startupFailures;
    f.rebufferMs += p.rebufferMs;
    f.playingMs += p.playingMs;
    f.latencyMs.push(...p.latencyMs);
  }
  for (const f of out.values()) f.latencyMs.sort((a, b) => a - b);
  return [...out.values()];
}

/** Linear interpolation between closest ranks, like the live page's other percentiles. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (q / 100) * (sorted.length - 1);
  const i = Math.floor(pos);
  return sorted[i]! + (pos - i) * ((sorted[i + 1] ?? sorted[i]!) - sorted[i]!);
}

/** What the live page and GET /v1/live/viewers show per stream. */
export function summarise(f: StreamFigures) {
  const watched = f.rebufferMs + f.playingMs;
  return {
    app: f.app,
    stream: f.stream,
    viewers: Math.round(f.viewers),
    started: Math.round(f.started),
    startup_failures: Math.round(f.startupFailures),
    rebuffer_ratio: watched > 0 ? f.rebufferMs / watched : null,
    latency_p50_ms: percentile(f.latencyMs, 50),
    latency_p95_ms: percentile(f.latencyMs, 95),
  };
}

export type LiveStream = ReturnType<typeof summarise>;

/** The body of GET /v1/live/viewers. */
export interface LiveViewers {
  generated_at: string;
  partitions: number;
  stale_partitions: number;
  streams: LiveStream[];
}

/** Every partition's snapshot as read at `at`: the fresh ones' figures (all apps), the stale ones counted. */
interface Snapshots {
  at: number;
  partitions: number;
  stale: number;
  figures: StreamFigures[];
}

async function readSnapshots(archive: Archive, now: number, staleMs: number): Promise<Snapshots> {
  const objects = await archive.list(LIVE_SNAPSHOT_PREFIX);
  // The partitions' snapshots are read side by side: one round trip, not one per partition.
  const snapshots = await Promise.all(
    objects.map(async (o) => {
      const body = new TextDecoder().decode(await archive.get(o.key));
      try {
        return JSON.parse(body) as LiveSnapshot;
      } catch (err) {
        throw new ReeltimeError(
          "REELTIME_ERR_ARCHIVE",
          `${o.key} is not a live viewers snapshot (${(err as Error).message}); the viewers processor rewrites it within seconds`,
          { cause: err },
        );
      }
    }),
  );
  const out: Snapshots = { at: now, partitions: 0, stale: 0, figures: [] };
  for (const s of snapshots) {
    if (Date.parse(s.at) < now - staleMs) {
      out.stale++;
      continue;
    }
    out.partitions++;
    out.figures.push(...s.figures);
  }
  return out;
}

function viewersOf(s: Snapshots, app: string | undefined): LiveViewers {
  return {
    generated_at: new Date(s.at).toISOString(),
    partitions: s.partitions,
    stale_partitions: s.stale,
    streams: mergeFigures(s.figures.filter((f) => app === undefined || f.app === app))
      .map(summarise)
      .sort((a, b) => b.viewers - a.viewers || a.stream.localeCompare(b.stream)),
  };
}

/** A snapshot older than this (a partition nobody holds any more, a processor that stopped) is left out. */
export const LIVE_STALE_MS = 15_000;

/**
 * Every live stream's figures now: the partitions' snapshots added up. A snapshot older than
 * `staleMs` (a partition nobody holds any more, a processor that stopped) is left out and counted
 * in `stale_partitions`, so a page can say the figures are incomplete.
 */
export async function readLiveViewers(
  archive: Archive,
  opts: { app?: string; now?: number; staleMs?: number } = {},
): Promise<LiveViewers> {
  const s = await readSnapshots(archive, opts.now ?? Date.now(), opts.staleMs ?? LIVE_STALE_MS);
  return viewersOf(s, opts.app);
}

export interface LiveViewersOptions {
  archive: Archive;
  /** How long one read of the snapshots answers every caller (default 1 s; the processor writes every 2 s). */
  cacheMs?: number;
  staleMs?: number;
  now?: () => number;
}

/**
 * readLiveViewers behind a short cache, for a server many live pages poll: within `cacheMs` every
 * caller (of any app: the figures of all apps are read once, each caller gets its app's) is
 * answered from one read of the archive, and callers arriving while a read is under way wait for
 * that one. A failed read is not kept: the next caller tries again.
 */
export class LiveViewersReader {
  readonly #archive: Archive;
  readonly #cacheMs: number;
  readonly #staleMs: number;
  readonly #now: () => number;
  #cached: { at: number; snapshots: Promise<Snapshots> } | undefined;

  constructor(opts: LiveViewersOptions) {
    this.#archive = opts.archive;
    this.#cacheMs = opts.cacheMs ?? 1000;
    this.#staleMs = opts.staleMs ?? LIVE_STALE_MS;
    this.#now = opts.now ?? Date.now;
  }

  /** The figures of `app`'s live streams (every app's when undefined). */
  async read(app?: string): Promise<LiveViewers> {
    const now = this.#now();
    let entry = this.#cached;
    if (!entry || now - entry.at >= this.#cacheMs || now < entry.at) {
      const fresh = { at: now, snapshots: readSnapshots(this.#archive, now, this.#staleMs) };
      fresh.snapshots.catch(() => {
        if (this.#cached === fresh) this.#cached = undefined;
      });
      this.#cached = entry = fresh;
    }
    return viewersOf(await entry.snapshots, app);
  }
}
