/** One subtitle rendition as the manifests name it: a WebVTT file and its HLS media playlist. */
export interface SubtitleTrack {
  /** BCP 47 tag, e.g. `en`, `pt-BR`. */
  language: string;
  /** Shown in players' menus. */
  name: string;
  /** The WebVTT file, relative to the manifests, e.g. `subtitles/en.vtt`. */
  vtt: string;
  /** Its HLS media playlist, relative to the master, e.g. `subtitles/en.m3u8`. */
  playlist: string;
  /** The file's size over the presentation, bits/s (DASH requires a Representation@bandwidth). */
  bandwidth: number;
}

/** The HLS SUBTITLES group every variant names. */
export const SUBTITLE_GROUP = "subs";
/** Where a video's subtitle files go, under its media root. */
export const SUBTITLES_DIR = "subtitles";

/** The DASH Representation id of a subtitle rendition, also its step's `rendition`. */
export const subtitleRendition = (language: string) => `subtitles-${language}`;

/** A subtitle rendition's files, relative to the video's media root. */
export function subtitleTrack(language: string, name: string, bytes: number, durationMs: number): SubtitleTrack {
  return {
    language,
    name,
    vtt: `${SUBTITLES_DIR}/${language}.vtt`,
    playlist: `${SUBTITLES_DIR}/${language}.m3u8`,
    bandwidth: Math.max(1, Math.ceil((bytes * 8) / Math.max(0.001, durationMs / 1000))),
  };
}

/**
 * The HLS media playlist of a subtitle rendition: the whole WebVTT file as one segment lasting
 * the presentation (RFC 8216 §3.5; hls.js, Shaka and Safari play it). Its cue times are media
 * times: the CMAF tracks start at 0, so no X-TIMESTAMP-MAP is needed.
 */
export function renderSubtitlePlaylist(vttName: string, durationMs: number): string {
  const seconds = Math.max(0.001, durationMs / 1000);
  return `${[
    "#EXTM3U",
    "#EXT-X-VERSION:3",
    `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(seconds))}`,
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-PLAYLIST-TYPE:VOD",
    `#EXTINF:${seconds.toFixed(6)},`,
    vttName,
    "#EXT-X-ENDLIST",
  ].join("\n")}\n`;
}

const quoted = (s: string) => s.replace(/["\r\n]/g, "'");

/**
 * The EXT-X-MEDIA lines of the subtitle renditions, one group (`subs`) for all, none DEFAULT
 * (subtitles stay off until the viewer picks one), AUTOSELECT so a player may follow the
 * system's language.
 */
export function subtitleMediaLines(tracks: readonly SubtitleTrack[]): string[] {
  return tracks.map(
    (t) =>
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="${SUBTITLE_GROUP}",LANGUAGE="${t.language}",NAME="${quoted(t.name)}",` +
      `DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="${t.playlist}"`,
  );
}
