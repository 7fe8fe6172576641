import type { LiveFigures } from "../contract.ts";

/** The hls.js getters a live view reads (hls.js 1.5+): seconds, and the program date time at the playhead. */
export interface LiveHls {
  /** EXT-X-PROGRAM-DATE-TIME at `media.currentTime` on the level playing; null without one. */
  playingDate?: Date | null;
  /** Distance from the playhead to the live edge, seconds; 0 before the first playlist. */
  latency?: number;
  /** The distance to the edge the player aims for, seconds; null before the first playlist. */
  targetLatency?: number | null;
}

/** Samples kept for the median; past this every other one is dropped and the spacing doubles (still even in time). */
export const MAX_SAMPLES = 1800;
const MIN_MS = -86_400_000;
const MAX_MS = 2_147_483_647;
const ms = (x: number) => Math.min(MAX_MS, Math.max(MIN_MS, Math.round(x)));

/** The median of the samples (the mean of the two middle ones for an even count); undefined when there are none. */
export function median(samples: readonly number[]): number | undefined {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  return n ? ((s[(n - 1) >> 1] as number) + (s[n >> 1] as number)) / 2 : undefined;
}

/**
 * A live view's latency figures, read from hls.js:
 * - latency = wall clock − the program date time at the playhead (`hls.playingDate`);
 * - edge distance = `hls.latency` (live edge − playhead);
 * - behind live = edge distance − target latency (`hls.targetLatency`), 0 when at or ahead of it;
 * - catch-up count = times the playback rate rose above 1.
 * `sample()` (called while the playhead moves) keeps one latency at most per second for the median,
 * and the most the view was behind live.
 */
export class LiveMeter {
  readonly #hls: LiveHls;
  #samples: number[] = [];
  #spacing = 1000;
  #lastAt = Number.NEGATIVE_INFINITY;
  #maxBehind = 0;
  #catchups = 0;
  #rate = 1;

  constructor(hls: LiveHls) {
    this.#hls = hls;
  }

  /** The figures now; `wallNow` is epoch ms. */
  now(wallNow: number): { latency?: number; edge?: number; target?: number; behind?: number } {
    const h = this.#hls;
    const date = h.playingDate?.getTime();
    const edge = h.latency ? Math.max(0, h.latency * 1000) : undefined;
    const target = h.targetLatency ? h.targetLatency * 1000 : undefined;
    return {
      ...(date !== undefined && Number.isFinite(date) ? { latency: wallNow - date } : {}),
      ...(edge !== undefined ? { edge } : {}),
      ...(target !== undefined ? { target } : {}),
      ...(edge !== undefined && target !== undefined ? { behind: Math.max(0, edge - target) } : {}),
    };
  }

  /** A reading while playing: at most one latency sample per spacing, and the largest behind-live. */
  sample(wallNow: number): void {
    if (wallNow - this.#lastAt < this.#spacing) return;
    const { latency, behind } = this.now(wallNow);
    if (latency === undefined) return;
    this.#lastAt = wallNow;
    this.#samples.push(latency);
    if (behind !== undefined) this.#maxBehind = Math.max(this.#maxBehind, behind);
    if (this.#samples.length >= MAX_SAMPLES) {
      this.#samples = this.#samples.filter((_, i) => i % 2 === 1);
      this.#spacing *= 2;
    }
  }

  /** The playback rate changed: a rise above 1 is one catch-up. */
  rate(rate: number): void {
    if (rate > 1 && this.#rate <= 1) this.#catchups++;
    this.#rate = rate;
  }

  /** The wire figures (the view adds the catch-up time it accounts). */
  figures(wallNow: number): LiveFigures {
    const { latency, edge, target, behind } = this.now(wallNow);
    const p50 = median(this.#samples);
    return {
      ...(latency !== undefined ? { latency_ms: ms(latency) } : {}),
      ...(p50 !== undefined ? { latency_p50_ms: ms(p50) } : {}),
      ...(edge !== undefined ? { edge_distance_ms: ms(edge) } : {}),
      ...(target !== undefined ? { target_latency_ms: ms(target) } : {}),
      ...(behind !== undefined ? { behind_live_ms: ms(behind) } : {}),
      max_behind_live_ms: ms(this.#maxBehind),
      catchup_count: this.#catchups,
    };
  }
}
