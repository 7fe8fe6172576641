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
