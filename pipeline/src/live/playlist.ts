/** One segment of a live media playlist. */
export interface LiveSegment {
  /** Media sequence number. */
  seq: number;
  /** File name, relative to the playlist. */
  uri: string;
  /** EXTINF, in seconds. */
  duration: number;
  /** `#EXT-X-PROGRAM-DATE-TIME` of the segment's first sample, in ms since the epoch. */
  pdtMs: number;
}

/**
 * Reads the segments of an ffmpeg live media playlist: EXT-X-MEDIA-SEQUENCE, then per segment
 * its EXTINF and PROGRAM-DATE-TIME (ffmpeg 5.1 writes the PDT after the EXTINF, `+0000` offsets)
 * and the URI. A segment without a PDT is left out: every published segment carries one.
 */
export function parseLivePlaylist(text: string): LiveSegment[] {
  const out: LiveSegment[] = [];
  let seq = 0;
  let duration: number | undefined;
  let pdtMs: number | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) seq = Number(line.slice(22));
    else if (line.startsWith("#EXTINF:")) duration = Number.parseFloat(line.slice(8));
    else if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) pdtMs = parsePdt(line.slice(25));
    else if (!line.startsWith("#")) {
      if (duration !== undefined && Number.isFinite(duration) && pdtMs !== undefined && Number.isFinite(pdtMs))
        out.push({ seq, uri: line, duration, pdtMs });
      seq++;
      duration = undefined;
      pdtMs = undefined;
    }
  }
  return out;
}

/** ISO 8601 with `Z`, `+hh:mm` or ffmpeg's `+hhmm` offset. */
function parsePdt(value: string): number {
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
}

/**
 * The media playlist the uploader publishes: the given segments (the window, in order), each
 * with its PROGRAM-DATE-TIME before its EXTINF, in RFC 3339 UTC. TARGETDURATION is the longest
 * segment rounded (at least `segmentSeconds`); `ended` adds EXT-X-ENDLIST (the stream stopped).
 */
export function renderLivePlaylist(segments: readonly LiveSegment[], segmentSeconds: number, ended = false): string {
  const target = Math.max(segmentSeconds, ...segments.map((s) => Math.round(s.duration)));
  const lines = [
    "#EXTM3U",
    "#EXT-X-VERSION:6",
    `#EXT-X-TARGETDURATION:${target}`,
    `#EXT-X-MEDIA-SEQUENCE:${segments[0]?.seq ?? 0}`,
    "#EXT-X-INDEPENDENT-SEGMENTS",
  ];
  for (const s of segments)
    lines.push(
      `#EXT-X-PROGRAM-DATE-TIME:${new Date(s.pdtMs).toISOString()}`,
      `#EXTINF:${s.duration.toFixed(6)},`,
      s.uri,
    );
  if (ended) lines.push("#EXT-X-ENDLIST");
  return `${lines.join("\n")}\n`;
}
