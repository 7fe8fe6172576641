import { ReeltimeError } from "@reeltime/runtime";
import { cmafTrack } from "../steps/rendition.ts";
import { type Rational, trackTimescale } from "./plan.ts";

/** One encoded chunk as the assembly takes it: its local file and how many frames it holds. */
export interface AssemblyPart {
  path: string;
  frames: number;
}

/**
 * The ffconcat list that joins a rendition's encoded chunks into one stream: each file in media
 * order with its exact duration (frames / fps, to the microsecond, which rounds back to whole
 * frames), so every chunk's timestamps continue where the one before ended, as in one encode.
 */
export function concatList(parts: readonly AssemblyPart[], rate: Rational): string {
  if (parts.length === 0) throw new ReeltimeError("REELTIME_ERR_PIPELINE", "no encoded chunk to assemble");
  const lines = ["ffconcat version 1.0"];
  for (const p of parts) {
    if (/[\n\r']/.test(p.path))
      throw new ReeltimeError(
        "REELTIME_ERR_PIPELINE",
        `chunk path ${JSON.stringify(p.path)} cannot be named in a concat list`,
      );
    lines.push(`file '${p.path}'`, `duration ${((p.frames * rate.den) / rate.num).toFixed(6)}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * ffmpeg's arguments to assemble and package a rendition's video track: the chunks joined by
 * the concat demuxer and copied (no re-encode) into the same CMAF track a serial encode writes,
 * through the same HLS muxer options (cmafTrack), with the MP4 timescale the serial encode's
 * track gets (the copied stream's own time base would otherwise set it).
 */
export function assembleArgs(list: string, dir: string, segmentSeconds: number, rate: Rational): string[] {
  const track = cmafTrack(segmentSeconds, dir);
  const i = track.indexOf("-hls_segment_options");
  if (i < 0) throw new ReeltimeError("REELTIME_ERR_PIPELINE", "the CMAF track options name no -hls_segment_options");
  track[i + 1] = `${track[i + 1]}:video_track_timescale=${trackTimescale(rate)}`;
  return [
    ...["-hide_banner", "-nostdin", "-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", list],
    ...["-map", "0:v:0", "-c", "copy", ...track],
  ];
}

/** Chunks of one rendition in media order, checked complete: `count` of them, indexes 0 … count-1. */
export function assemblyOrder<T extends { index: number }>(chunks: readonly T[], count: number, what: string): T[] {
  const sorted = [...chunks].sort((a, b) => a.index - b.index);
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => sorted[i]?.index !== i);
  if (sorted.length !== count || missing.length > 0)
    throw new ReeltimeError(
      "REELTIME_ERR_PIPELINE",
      `${what}: ${sorted.length} of ${count} chunks to assemble${missing.length ? `, missing ${missing.slice(0, 5).join(", ")}` : ""}`,
    );
  return sorted;
}
