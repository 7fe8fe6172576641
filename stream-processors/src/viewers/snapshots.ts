import type { Archive } from "@reeltime/connectors";
import { mergeFigures, type StreamFigures, summarise } from "./window.ts";

/** Where the viewers processor writes each partition's figures: `<prefix><topic>/<partition>.json`. */
export const LIVE_SNAPSHOT_PREFIX = "_live/viewers/";

/** One partition's live figures as its owner last wrote them. */
export interface LiveSnapshot {
  at: string;
  figures: StreamFigures[];
}

export type LiveStream = ReturnType<typeof summarise>;

/**
 * Every live stream's figures now: the partitions' snapshots added up. A snapshot older than
 * `staleMs` (a partition nobody holds any more, a processor that stopped) is left out and counted
 * in `stale_partitions`, so a page can say the figures are incomplete.
 */
export async function readLiveViewers(
  archive: Archive,
  opts: { app?: string; now?: number; staleMs?: number } = {},
): Promise<{ generated_at: string; partitions: number; stale_partitions: number; streams: LiveStream[] }> {
  const now = opts.now ?? Date.now();
  const staleMs = opts.staleMs ?? 15_000;
  const parts: StreamFigures[] = [];
  let partitions = 0;
  let stale = 0;
  for (const o of await archive.list(LIVE_SNAPSHOT_PREFIX)) {
    const s = JSON.parse(new TextDecoder().decode(await archive.get(o.key))) as LiveSnapshot;
    if (Date.parse(s.at) < now - staleMs) {
      stale++;
      continue;
    }
    partitions++;
    parts.push(...s.figures.filter((f) => opts.app === undefined || f.app === opts.app));
  }
  return {
    generated_at: new Date(now).toISOString(),
    partitions,
    stale_partitions: stale,
    streams: mergeFigures(parts)
      .map(summarise)
      .sort((a, b) => b.viewers - a.viewers || a.stream.localeCompare(b.stream)),
  };
}
