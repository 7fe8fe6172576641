import { durationsOf, type Timeline } from "../cmaf/timeline.ts";

/** One segment of a media playlist: its URI (relative) and duration in seconds. */
export interface SegmentRef {
  uri: string;
  duration: number;
}

/** Reads the segments of a VOD media playlist written by ffmpeg's HLS muxer. */
export function parseMediaPlaylist(text: string): SegmentRef[] {
  const out: SegmentRef[] = [];
  let pending: number | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#EXTINF:")) pending = Number.parseFloat(line.slice(8));
    else if (line && !line.startsWith("#") && pending !== undefined) {
      out.push({ uri: line, duration: pending });
      pending = undefined;
    }
  }
  return out;
}

/** Seconds as an EXTINF says them: six decimals, as ffmpeg writes them. */
export const extinf = (ticks: number, timescale: number) => (ticks / timescale).toFixed(6);

/**
 * Renders the VOD media playlist of a CMAF track from its timeline: EXT-X-MAP names the init
 * segment, each EXTINF is the segment's duration read from the files. Version 7 for EXT-X-MAP
 * in a playlist without I-frames only (RFC 8216 §7).
 */
export function renderMediaPlaylist(t: Timeline, files: { init: string; segment: (index: number) => string }): string {
  const durations = durationsOf(t);
  const target = Math.max(1, ...durations.map((d) => Math.round(d / t.timescale)));
  const lines = [
    "#EXTM3U",
    "#EXT-X-VERSION:7",
    `#EXT-X-TARGETDURATION:${target}`,
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-PLAYLIST-TYPE:VOD",
    "#EXT-X-INDEPENDENT-SEGMENTS",
    `#EXT-X-MAP:URI="${files.init}"`,
  ];
  durations.forEach((d, i) => {
    lines.push(`#EXTINF:${extinf(d, t.timescale)},`, files.segment(i));
  });
  lines.push("#EXT-X-ENDLIST");
  return `${lines.join("\n")}\n`;
}
