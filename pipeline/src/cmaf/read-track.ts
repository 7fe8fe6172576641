import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { parseMediaPlaylist, renderMediaPlaylist } from "../hls/media-playlist.ts";
import { type InitInfo, readInit, readSegment } from "./mp4.ts";
import { type Timeline, timelineOf } from "./timeline.ts";
import { INIT_SEGMENT, segmentName, TRACK_PLAYLIST } from "./track.ts";

/** What one CMAF track ffmpeg wrote into a local folder holds, read back from its files. */
export interface TrackFiles {
  init: InitInfo;
  timeline: Timeline;
  /** Peak segment bitrate, bits/s (see `peakBitrate`). */
  bandwidth: number;
  /** Media segment bytes over the track's duration, bits/s. */
  averageBandwidth: number;
  /** Bytes of the media segments alone. */
  mediaBytes: number;
  /** Every file of the track, relative to its folder: init segment, media segments, then the playlist. */
  files: string[];
}

/**
 * Reads the CMAF track ffmpeg's HLS muxer wrote into `dir` (init.mp4, seg_NNNNN.m4s, and its
 * index.m3u8, which gives the segments' order), takes every segment's decode time and duration
 * from its boxes, and replaces the playlist with one rendered from that timeline, the same
 * numbers the DASH MPD will carry.
 */
export async function readTrack(dir: string, what: string): Promise<TrackFiles> {
  const listed = parseMediaPlaylist(await readFile(join(dir, TRACK_PLAYLIST), "utf8"));
  if (listed.length === 0) throw new ReeltimeError("REELTIME_ERR_PIPELINE", `${what}: ffmpeg listed no segments`);
  listed.forEach((s, i) => {
    if (s.uri !== segmentName(i))
      throw new ReeltimeError(
        "REELTIME_ERR_PIPELINE",
        `${what}: segment ${i} is ${s.uri}, expected ${segmentName(i)} (the DASH SegmentTemplate names it so)`,
      );
  });
  const init = readInit(await readFile(join(dir, INIT_SEGMENT)), `${what} ${INIT_SEGMENT}`);
  const sizes: number[] = [];
  const timings = [];
  for (const s of listed) {
    const bytes = await readFile(join(dir, s.uri));
    sizes.push(bytes.byteLength);
    timings.push(readSegment(bytes, init, `${what} ${s.uri}`));
  }
  const timeline = timelineOf(init.timescale, timings, what);
  const seconds = timings.map((t) => t.duration / init.timescale);
  const mediaBytes = sizes.reduce((a, b) => a + b, 0);
  const total = seconds.reduce((a, b) => a + b, 0);
  await writeFile(
    join(dir, TRACK_PLAYLIST),
    renderMediaPlaylist(timeline, { init: INIT_SEGMENT, segment: segmentName }),
  );
  return {
    init,
    timeline,
    bandwidth: peakBitrate(sizes, seconds),
    averageBandwidth: Math.round((mediaBytes * 8) / Math.max(total, 0.001)),
    mediaBytes,
    files: [INIT_SEGMENT, ...listed.map((s) => s.uri), TRACK_PLAYLIST],
  };
}

/**
 * The peak segment bitrate, over the segments at least half as long as the longest: a tail of a
 * few milliseconds (an AAC track's last frame) would otherwise claim a bitrate no viewer sees.
 */
export function peakBitrate(sizes: readonly number[], seconds: readonly number[]): number {
  const longest = Math.max(...seconds);
  const rates = sizes
    .map((bytes, i) => ({ bits: bytes * 8, s: seconds[i]! }))
    .filter((x) => x.s >= longest / 2)
    .map((x) => x.bits / Math.max(x.s, 0.001));
  return Math.round(Math.max(...rates));
}
