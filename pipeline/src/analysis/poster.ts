import type { SceneChange, Stretch } from "./parse.ts";

/** Where the poster frame is taken and why. */
export interface PosterChoice {
  at_ms: number;
  /** The clean stretch it is the middle of (absent for the fallback). */
  stretch?: Stretch;
  /** `clean_shot`: the middle of the longest stretch of a shot that is neither black nor frozen; `fallback`: none was found. */
  reason: "clean_shot" | "fallback";
}

export interface PosterInput {
  durationMs: number | undefined;
  /** One frame's duration (1000 / fps); stretches shorter than a frame are no candidates. */
  frameMs: number;
  scenes: readonly SceneChange[];
  black: readonly Stretch[];
  freeze: readonly Stretch[];
}

/** The poster time used when nothing is known or nothing is clean: 10 % in, at least 0.5 s before the end. */
export function fallbackPosterMs(durationMs: number | undefined): number {
  const d = durationMs ?? 0;
  return Math.round(Math.max(0, Math.min(d * 0.1, d - 500)));
}

/** `stretch` minus every stretch of `bad` (sorted or not), as sorted stretches. */
export function subtract(stretch: Stretch, bad: readonly Stretch[]): Stretch[] {
  let parts: Stretch[] = [stretch];
  for (const b of bad) {
    const next: Stretch[] = [];
    for (const p of parts) {
      if (b.end_ms <= p.start_ms || b.start_ms >= p.end_ms) {
        next.push(p);
        continue;
      }
      if (b.start_ms > p.start_ms) next.push({ start_ms: p.start_ms, end_ms: b.start_ms });
      if (b.end_ms < p.end_ms) next.push({ start_ms: b.end_ms, end_ms: p.end_ms });
    }
    parts = next;
  }
  return parts.sort((a, b) => a.start_ms - b.start_ms);
}

/** The shots: the media cut at every scene change, in order. */
export function shots(durationMs: number, scenes: readonly SceneChange[]): Stretch[] {
  const cuts = [...new Set(scenes.map((s) => s.at_ms).filter((t) => t > 0 && t < durationMs))].sort((a, b) => a - b);
  const bounds = [0, ...cuts, durationMs];
  return bounds.slice(1).map((end, i) => ({ start_ms: bounds[i]!, end_ms: end }));
}

/**
 * The most representative frame that is neither black nor frozen: the media is cut into shots at
 * its scene changes, the black and frozen stretches are taken out of every shot, and the poster
 * is the middle of the longest clean stretch that is left (the earliest of equally long ones).
 * A shot is one camera take, so its longest clean part shows what the video mostly shows, away
 * from cuts, fades to black and still frames. Without any clean stretch of at least one frame,
 * the fallback: 10 % into the media.
 */
export function choosePoster(input: PosterInput): PosterChoice {
  const { durationMs } = input;
  if (durationMs === undefined || durationMs <= 0) return { at_ms: fallbackPosterMs(durationMs), reason: "fallback" };
  const bad = [...input.black, ...input.freeze];
  let best: Stretch | undefined;
  for (const shot of shots(durationMs, input.scenes))
    for (const part of subtract(shot, bad)) {
      const length = part.end_ms - part.start_ms;
      if (length < input.frameMs) continue;
      if (best === undefined || length > best.end_ms - best.start_ms) best = part;
    }
  if (best === undefined) return { at_ms: fallbackPosterMs(durationMs), reason: "fallback" };
  return { at_ms: Math.floor((best.start_ms + best.end_ms) / 2), stretch: best, reason: "clean_shot" };
}
