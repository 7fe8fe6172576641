import { ReeltimeError } from "@reeltime/runtime";
import type { SegmentTiming } from "./mp4.ts";

/**
 * The segments of one CMAF track, in its own timescale: where the first starts and how long
 * each lasts, as runs of equal durations (the shape of a DASH SegmentTimeline). Both the HLS
 * media playlist and the DASH MPD are rendered from it, so they say the same thing.
 */
export interface Timeline {
  /** Ticks per second. */
  timescale: number;
  /** Decode time of the first segment, in ticks. */
  start: number;
  /** `[duration, count]`: `count` consecutive segments of `duration` ticks each. */
  runs: [number, number][];
}

/** Builds the timeline of segments read in order; they must follow each other without gaps. */
export function timelineOf(timescale: number, segments: readonly SegmentTiming[], what = "track"): Timeline {
  if (segments.length === 0) throw new ReeltimeError("REELTIME_ERR_PIPELINE", `${what} has no segments`);
  const runs: [number, number][] = [];
  segments.forEach((s, i) => {
    const prev = segments[i - 1];
    if (prev && prev.decodeTime + prev.duration !== s.decodeTime)
      throw new ReeltimeError(
        "REELTIME_ERR_PIPELINE",
        `${what}: segment ${i} starts at ${s.decodeTime}/${timescale} s, not where segment ${i - 1} ends (${prev.decodeTime + prev.duration})`,
      );
    const last = runs.at(-1);
    if (last && last[0] === s.duration) last[1]++;
    else runs.push([s.duration, 1]);
  });
  return { timescale, start: segments[0]!.decodeTime, runs };
}

/** Every segment's duration in ticks, in order. */
export function durationsOf(t: Timeline): number[] {
  return t.runs.flatMap(([d, n]) => Array<number>(n).fill(d));
}

export function segmentCount(t: Timeline): number {
  return t.runs.reduce((sum, [, n]) => sum + n, 0);
}

/** The sum of the segment durations, in ticks. */
export function totalTicks(t: Timeline): number {
  return t.runs.reduce((sum, [d, n]) => sum + d * n, 0);
}

/** Where the last segment ends, in seconds from time 0 of the track. */
export function endSeconds(t: Timeline): number {
  return (t.start + totalTicks(t)) / t.timescale;
}
