import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Archive } from "@reeltime/connectors";
import { ReeltimeError } from "@reeltime/runtime";
import type { FfmpegProgress } from "../ffmpeg/progress.ts";
import type { ToolRunner } from "../ffmpeg/run.ts";
import type { Limiter } from "../job/limit.ts";
import { videoArgs } from "../steps/rendition.ts";
import { frameRate, keyframeTimes } from "./plan.ts";
import type { ChunkRequest } from "./units.ts";

/** What a worker needs to encode chunks: its tools, its share of the cores, a scratch folder. */
export interface ChunkEncoderEnv {
  archive: Archive;
  run: ToolRunner;
  tools: { ffmpeg: string; ffprobe: string };
  limiter: Limiter;
  threads: number;
  workRoot: string;
}

/** What one encoded chunk is. */
export interface EncodedChunk {
  frames: number;
  bytes: number;
  /** ffmpeg's wall time, inside the limiter. */
  encodeMs: number;
}

/** Replaces the value that follows `flag` (which must be there). */
function setArg(args: string[], flag: string, value: string): string[] {
  const i = args.indexOf(flag);
  if (i < 0) throw new ReeltimeError("REELTIME_ERR_PIPELINE", `the rendition's encode has no ${flag} to replace`);
  return [...args.slice(0, i + 1), value, ...args.slice(i + 2)];
}

function dropArg(args: string[], flag: string): string[] {
  const i = args.indexOf(flag);
  return i < 0 ? args : [...args.slice(0, i), ...args.slice(i + 2)];
}

/**
 * ffmpeg's arguments for one chunk: the rendition's own video settings (videoArgs), with two
 * changes. The filter chain keeps the source's timestamps (`-copyts`, less the file's start time
 * as the serial encode subtracts it), so the `fps` filter lays frames on the same grid as the
 * serial encode; right after it, `trim` keeps the chunk's slots and `setpts` starts them at 0.
 * The forced keyframes are the serial encode's, listed as times that round back to exactly
 * those frames. Written as NUT (exact timestamps, any codec), video only.
 */
export function chunkArgs(request: ChunkRequest, threads: number, piece: string, out: string): string[] {
  const { chunk, rendition } = request;
  const settings = { segmentSeconds: request.settings.segment_seconds, preset: request.settings.preset, threads };
  let video = videoArgs(settings, rendition);
  const vf = video[video.indexOf("-vf") + 1] ?? "";
  const [fps, ...rest] = vf.split(",");
  if (!fps?.startsWith("fps="))
    throw new ReeltimeError("REELTIME_ERR_PIPELINE", `the rendition's filters do not start with fps: ${vf}`);
  const trim = `trim=start_pts=${chunk.first_slot}${chunk.end_slot === undefined ? "" : `:end_pts=${chunk.end_slot}`}`;
  video = setArg(video, "-vf", [fps, trim, "setpts=PTS-STARTPTS", ...rest].join(","));
  const rate = frameRate(rendition.fps);
  video =
    chunk.forced_keyframes.length > 0
      ? setArg(video, "-force_key_frames", keyframeTimes(chunk.forced_keyframes, rate))
      : dropArg(video, "-force_key_frames");
  return [
    ...["-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats", "-progress", "pipe:1"],
    ...["-threads", String(threads), "-copyts", "-itsoffset", String(-chunk.source_start), "-i", piece],
    ...["-map", "0:v:0", "-an", ...video, "-f", "nut", out],
  ];
}

/** Counts the video packets of a file (one per frame). */
export async function countFrames(
  run: ToolRunner,
  ffprobe: string,
  path: string,
  signal?: AbortSignal,
): Promise<number> {
  const { stdout } = await run(
    ffprobe,
    [
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-count_packets",
      "-show_entries",
      "stream=nb_read_packets",
      "-of",
      "csv=p=0",
      path,
    ],
    signal ? { signal } : {},
  );
  const n = Number.parseInt(stdout.trim(), 10);
  if (!Number.isInteger(n))
    throw new ReeltimeError(
      "REELTIME_ERR_PIPELINE",
      `ffprobe did not count the frames of ${path}: ${stdout.slice(0, 200)}`,
    );
  return n;
}

/**
 * Encodes one chunk: fetches its piece of source from the archive, encodes the chunk's frames,
 * checks it made exactly the frames the plan says (the last chunk: at least one), and puts the
 * result at the unit's output key.
 */
export async function encodeChunk(
  env: ChunkEncoderEnv,
  request: ChunkRequest,
  options: { signal?: AbortSignal; onProgress?: (p: FfmpegProgress) => void } = {},
): Promise<EncodedChunk> {
  const dir = await mkdtemp(join(env.workRoot, "reeltime-chunk-"));
  try {
    const piece = join(dir, "piece.nut");
    const out = join(dir, "chunk.nut");
    await writeFile(piece, await env.archive.get(request.chunk.piece_key));
    const encodeMs = await env.limiter.run(async () => {
      const started = performance.now();
      await env.run(env.tools.ffmpeg, chunkArgs(request, env.threads, piece, out), {
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return Math.max(1, Math.round(performance.now() - started));
    });
    const frames = await countFrames(env.run, env.tools.ffprobe, out, options.signal);
    const { first_slot: first, end_slot: end } = request.chunk;
    if (end === undefined ? frames < 1 : frames !== end - first)
      throw new ReeltimeError(
        "REELTIME_ERR_PIPELINE",
        `chunk ${request.chunk.index} of ${request.rendition.name} made ${frames} frames, expected ` +
          `${end === undefined ? "at least 1" : end - first} (its piece of source does not cover its frames)`,
      );
    const bytes = (await stat(out)).size;
    await env.archive.put(request.output_key, await readFile(out), { contentType: "video/x-nut" });
    return { frames, bytes, encodeMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
