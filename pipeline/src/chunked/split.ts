import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import type { ToolRunner } from "../ffmpeg/run.ts";
import type { ChunkPlan } from "./plan.ts";

/** What the split needs to know of a source's video stream, read by one ffprobe pass over its packets (no decoding). */
export interface SourceKeyframes {
  /** Keyframe times, seconds after the start of the file, ascending. */
  keyframes: number[];
  /** The video's first frame, seconds after the start of the file. */
  videoStartSeconds: number;
  /** The file's start time (ffmpeg subtracts it from every timestamp). */
  formatStartSeconds: number;
  /** Duration of the video stream (or of the file), seconds. */
  durationSeconds: number;
}

interface RawKeyframes {
  packets?: { pts_time?: string; dts_time?: string; flags?: string }[];
  streams?: { start_time?: string; duration?: string }[];
  format?: { start_time?: string; duration?: string };
}

const num = (v: string | undefined) => (v === undefined || v === "N/A" ? undefined : Number(v));

/** Parses ffprobe's JSON of the video packets (pts_time, flags), the stream's and the format's start and duration. */
export function parseKeyframes(raw: RawKeyframes): SourceKeyframes {
  const formatStart = num(raw.format?.start_time) ?? 0;
  const stream = raw.streams?.[0];
  const times: number[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const p of raw.packets ?? []) {
    const t = num(p.pts_time) ?? num(p.dts_time);
    if (t === undefined || !Number.isFinite(t)) continue;
    first = Math.min(first, t);
    last = Math.max(last, t);
    if (p.flags?.startsWith("K")) times.push(t);
  }
  if (!Number.isFinite(first) || times.length === 0)
    throw new ReeltimeError("REELTIME_ERR_PIPELINE", "ffprobe found no video keyframe to split the source at");
  const videoStart = num(stream?.start_time) ?? first;
  const duration = num(stream?.duration) ?? num(raw.format?.duration) ?? last - first;
  return {
    keyframes: [...new Set(times.map((t) => t - formatStart))].sort((a, b) => a - b),
    videoStartSeconds: Math.max(0, videoStart - formatStart),
    formatStartSeconds: formatStart,
    durationSeconds: duration,
  };
}

export async function probeKeyframes(
  run: ToolRunner,
  ffprobe: string,
  source: string,
  signal?: AbortSignal,
): Promise<SourceKeyframes> {
  const { stdout } = await run(
    ffprobe,
    [
      ...["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,dts_time,flags"],
      ...["-show_entries", "stream=start_time,duration", "-show_entries", "format=start_time,duration"],
      ...["-of", "json", source],
    ],
    signal ? { signal } : {},
  );
  return parseKeyframes(JSON.parse(stdout) as RawKeyframes);
}

/** A little past the keyframe, so the demuxer's seek (to the keyframe at or before) lands on it whatever the rounding of its printed time. */
const SEEK_PAST_SECONDS = 0.0001;

/**
 * ffmpeg's arguments to cut one chunk's piece of source: the video stream copied (no decoding)
 * from the keyframe `pieceFrom` (`back` seconds earlier: see cutPiece) to `pieceTo`, every packet
 * from where the seek lands kept (`-copypriorss`) with the timestamps it has in the source
 * (`-copyts`), so the chunk's encode puts its frames on the serial encode's grid; into NUT.
 */
export function pieceArgs(source: string, chunk: ChunkPlan, out: string, back = 0): string[] {
  const from = chunk.pieceFrom === undefined ? undefined : chunk.pieceFrom - back;
  return [
    ...["-hide_banner", "-nostdin", "-y", "-v", "error", "-copyts"],
    ...(from === undefined || from <= 0 ? [] : ["-ss", (from + SEEK_PAST_SECONDS).toFixed(6)]),
    ...(chunk.pieceTo === undefined ? [] : ["-to", chunk.pieceTo.toFixed(6)]),
    ...["-i", source, "-map", "0:v:0", "-c", "copy", "-copypriorss", "1", "-f", "nut", out],
  ];
}

/**
 * How far before its keyframe each try seeks. A demuxer with an index (MP4, Matroska) lands on
 * the keyframe itself; one that searches by timestamp (MPEG-TS) may land on the next one, so the
 * piece is cut again from further back, and at last from the start of the file.
 */
export const SEEK_BACK_SECONDS: readonly number[] = [0, 2, 10, Number.POSITIVE_INFINITY];

/**
 * Cuts one piece and reads it back: its first packet must be at or before the chunk's first
 * frame needs (`mustStart`) and, unless it runs to the end of the file, its last one after the
 * chunk's end (`mustEnd`), or the chunk could not be encoded as the serial encode would.
 */
export async function cutPiece(
  run: ToolRunner,
  tools: { ffmpeg: string; ffprobe: string },
  source: string,
  chunk: ChunkPlan,
  bounds: { mustStart: number; mustEnd?: number; formatStart: number },
  dir: string,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const out = join(dir, `piece-${chunk.index}.nut`);
  const options = signal ? { signal } : {};
  let covers = "nothing";
  try {
    for (const back of SEEK_BACK_SECONDS) {
      await run(tools.ffmpeg, pieceArgs(source, chunk, out, back), options);
      const { stdout } = await run(
        tools.ffprobe,
        ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time", "-of", "csv=p=0", out],
        options,
      );
      const times = stdout
        .split("\n")
        .map((l) => Number.parseFloat(l))
        .filter((t) => Number.isFinite(t))
        .map((t) => t - bounds.formatStart);
      const first = Math.min(...times);
      const last = Math.max(...times);
      if (
        times.length > 0 &&
        first <= bounds.mustStart + 1e-6 &&
        (bounds.mustEnd === undefined || last >= bounds.mustEnd)
      )
        return await readFile(out);
      if (times.length > 0) covers = `${first.toFixed(3)}-${last.toFixed(3)} s`;
      if (chunk.pieceFrom === undefined) break;
    }
    throw new ReeltimeError(
      "REELTIME_ERR_PIPELINE",
      `piece ${chunk.index} of the source covers ${covers}, its chunk needs ` +
        `${bounds.mustStart.toFixed(3)}-${bounds.mustEnd?.toFixed(3) ?? "the end"} s`,
    );
  } finally {
    await rm(out, { force: true });
  }
}
