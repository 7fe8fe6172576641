import { ReeltimeError } from "@reeltime/runtime";

/**
 * Split planning for segment-parallel encodes, pure: from the output settings (frame rate,
 * segment length, GOP) and the source's keyframes, where the serial encode would put its
 * keyframes and segment boundaries, and so where the chunks can start without changing either.
 *
 * Frames are counted from the first output frame (0) on the grid of the `fps` filter. ffmpeg
 * forces a keyframe on the first frame whose time `n × (1/fps)` (a double) reaches the next
 * multiple of the segment length (`-force_key_frames expr:gte(t,n_forced*seg)`), x264 adds one
 * when a GOP reaches `gop` frames, and the HLS muxer starts a segment on the first keyframe at or
 * after each multiple of the segment length. A chunk starts on such a segment boundary, so its
 * encode starts with the same IDR frame; inside it, keyframes are forced on the same frames.
 */

/** A frame rate as ffmpeg's `fps=` filter holds it: `29.97` is 2997/100. */
export interface Rational {
  num: number;
  den: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The rational ffmpeg makes of an output frame rate with at most three decimals (the ladder's, see outputFps). */
export function frameRate(fps: number): Rational {
  if (!(fps > 0 && fps <= 1000))
    throw new ReeltimeError("REELTIME_ERR_PIPELINE", `frame rate ${fps} is not a positive number up to 1000`);
  const num = Math.round(fps * 1000);
  const g = gcd(num, 1000);
  return { num: num / g, den: 1000 / g };
}

/**
 * The timescale ffmpeg's MP4 muxer gives a video track encoded at this rate: the encoder's time
 * base denominator (the rate's numerator), doubled until it reaches 10000 (30 fps: 15360).
 */
export function trackTimescale(rate: Rational): number {
  let t = rate.num;
  while (t < 10_000) t *= 2;
  return t;
}

/** Frame `n`'s time in seconds as ffmpeg computes it for `-force_key_frames` (n × av_q2d(1/fps)). */
const frameTime = (n: number, rate: Rational) => n * (rate.den / rate.num);

/** What the serial encode does with frames 0 … frames-1: its keyframes and which of them were forced. */
export interface SerialKeyframes {
  /** Every keyframe, ascending (frame 0 first). */
  keyframes: number[];
  /** The forced ones (by the segment-length expression); the others are x264's own (GOP reached `gop`). */
  forced: Set<number>;
}

export function serialKeyframes(frames: number, rate: Rational, segmentSeconds: number, gop: number): SerialKeyframes {
  const keyframes: number[] = [];
  const forced = new Set<number>();
  let nForced = 0;
  let last = Number.NEGATIVE_INFINITY;
  for (let n = 0; n < frames; n++) {
    const isForced = frameTime(n, rate) >= nForced * segmentSeconds;
    if (isForced) {
      nForced++;
      forced.add(n);
    }
    if (isForced || n - last >= gop) {
      keyframes.push(n);
      last = n;
    }
  }
  return { keyframes, forced };
}

/**
 * Where the HLS muxer starts segments: on frame 0, then on the first keyframe whose time since
 * the first frame reaches `segmentSeconds × (segments so far)`, compared exactly (av_compare_ts).
 */
export function segmentStarts(keyframes: readonly number[], rate: Rational, segmentSeconds: number): number[] {
  const out: number[] = [];
  let started = 0;
  for (const k of keyframes) {
    // k / fps ≥ seg × started  ⇔  k × den ≥ seg × started × num (integers)
    if (started === 0 || k * rate.den >= segmentSeconds * started * rate.num) {
      out.push(k);
      started++;
    }
  }
  return out;
}

/** What the split planner needs to know about a source and the encode's settings. */
export interface SplitInput {
  /** Output frame rate (the renditions'; every rung has the same). */
  fps: number;
  segmentSeconds: number;
  /** Frames per GOP (the renditions' `gop`). */
  gop: number;
  /** Duration of the video stream, seconds. */
  durationSeconds: number;
  /**
   * When the video's first frame is, in seconds after the start of the file (ffmpeg subtracts the
   * file's start time): output frame `n` is the `fps` filter's slot `round(videoStart × fps) + n`.
   */
  videoStartSeconds: number;
  /** The source's video keyframes, seconds after the start of the file, ascending. */
  keyframes: readonly number[];
  /** Target chunk length, seconds (rounded to whole segments). */
  chunkSeconds: number;
  /** At most this many chunks: longer sources get longer chunks (default 1000). */
  maxChunks?: number;
}

/** One chunk: a run of whole segments of the output, and the stretch of the source it is made from. */
export interface ChunkPlan {
  index: number;
  /** First output frame (a segment boundary, so a keyframe of the serial encode). */
  firstFrame: number;
  /** First frame of the next chunk; absent for the last chunk, which runs to the end of the source. */
  endFrame?: number;
  /** Frames to force as keyframes, counted from the chunk's first frame (0 excluded: it is an IDR anyway). */
  forcedKeyframes: number[];
  /**
   * Where the stretch of source starts: a source keyframe, seconds after the start of the file, at
   * or before the first frame the chunk needs. Absent: the start of the file.
   */
  pieceFrom?: number;
  /** Where it ends (exclusive): a source keyframe well after the chunk's last frame. Absent: the end of the file. */
  pieceTo?: number;
}

export interface SplitPlan {
  rate: Rational;
  /** The `fps` filter's slot of output frame 0: trim bounds are `firstSlot + frame`. */
  firstSlot: number;
  /** Output frames the serial encode is expected to make (from the duration; the last chunk is open-ended). */
  frames: number;
  segmentSeconds: number;
  chunks: ChunkPlan[];
  /** How many chunk boundaries fall exactly on a source keyframe (their pieces do not overlap the one before). */
  alignedBoundaries: number;
}

/** Seconds of source a piece reaches past its chunk's end, so the `fps` filter sees the frames after it. */
export const PIECE_TAIL_SECONDS = 1;
const EPSILON = 1e-6;

/**
 * Plans the chunks of a source: boundaries on the serial encode's segment boundaries, about
 * `chunkSeconds` apart, preferring (within a quarter chunk) one that falls on a source keyframe,
 * so that piece is cut exactly where the chunk starts; a tail shorter than half a chunk joins the
 * chunk before. Each chunk's piece of source runs from the last source keyframe at or before its
 * first frame to the first keyframe at least {@link PIECE_TAIL_SECONDS} past its end.
 */
export function planSplit(input: SplitInput): SplitPlan {
  const rate = frameRate(input.fps);
  const fps = rate.num / rate.den;
  const seg = input.segmentSeconds;
  if (!(seg >= 1)) throw new ReeltimeError("REELTIME_ERR_USAGE", `segment length must be at least 1 s, got ${seg}`);
  if (!(input.chunkSeconds > 0))
    throw new ReeltimeError(
      "REELTIME_ERR_USAGE",
      `chunk length must be a positive number of seconds, got ${input.chunkSeconds}`,
    );
  const frames = Math.max(1, Math.round(input.durationSeconds * fps));
  const firstSlot = Math.round(input.videoStartSeconds * fps);
  const { keyframes, forced } = serialKeyframes(frames, rate, seg, input.gop);
  const starts = segmentStarts(keyframes, rate, seg);
  const maxChunks = input.maxChunks ?? 1000;
  // Whole segments per chunk, at least one; longer when the source would need too many chunks.
  const perChunk = Math.max(1, Math.round(input.chunkSeconds / seg), Math.ceil(starts.length / maxChunks));
  const chunkFrames = perChunk * seg * fps;
  const sourceKeys = [...input.keyframes].sort((a, b) => a - b);
  const onSourceKey = (frame: number) => sourceKeys.some((k) => Math.abs(k * fps - (firstSlot + frame)) < 0.01);

  const boundaries: number[] = [0];
  for (let target = chunkFrames; ; target += chunkFrames) {
    const prev = boundaries.at(-1)!;
    const window = chunkFrames / 4;
    const candidates = starts.filter((s) => s > prev && Math.abs(s - target) <= window);
    const pool = candidates.length > 0 ? candidates : starts.filter((s) => s > prev);
    if (pool.length === 0) break;
    const byDistance = (a: number, b: number) => Math.abs(a - target) - Math.abs(b - target) || a - b;
    const aligned = candidates.filter(onSourceKey).sort(byDistance);
    const pick = aligned[0] ?? [...pool].sort(byDistance)[0]!;
    // A tail shorter than half a chunk stays with the chunk before.
    if (frames - pick < chunkFrames / 2) break;
    boundaries.push(pick);
  }

  const forcedList = [...forced].sort((a, b) => a - b);
  const chunks: ChunkPlan[] = boundaries.map((first, index) => {
    const end = boundaries[index + 1];
    const forcedKeyframes = forcedList.filter((f) => f > first && (end === undefined || f < end)).map((f) => f - first);
    // The fps filter fills slot s with the newest source frame at or before it: the piece starts
    // on the last source keyframe not after the chunk's first slot.
    const firstTime = (firstSlot + first) / fps;
    const from = index === 0 ? undefined : sourceKeys.filter((k) => k <= firstTime + EPSILON).at(-1);
    const to =
      end === undefined
        ? undefined
        : sourceKeys.find((k) => k >= (firstSlot + end) / fps + PIECE_TAIL_SECONDS - EPSILON);
    return {
      index,
      firstFrame: first,
      ...(end === undefined ? {} : { endFrame: end }),
      forcedKeyframes,
      ...(from === undefined || from <= 0 ? {} : { pieceFrom: from }),
      ...(to === undefined ? {} : { pieceTo: to }),
    };
  });
  return {
    rate,
    firstSlot,
    frames,
    segmentSeconds: seg,
    chunks,
    alignedBoundaries: boundaries.slice(1).filter(onSourceKey).length,
  };
}

/** Frame `n` of a chunk as a `-force_key_frames` time: rounds back to exactly frame `n` in the encoder's 1/fps time base. */
export function keyframeTimes(frames: readonly number[], rate: Rational): string {
  return frames.map((n) => ((n * rate.den) / rate.num).toFixed(6)).join(",");
}
