import type { CmafAudioTrack } from "../cmaf/track.ts";
import { TRACK_PLAYLIST } from "../cmaf/track.ts";
import { renderMpd } from "../dash/mpd.ts";
import { SUBTITLE_GROUP, type SubtitleTrack, subtitleMediaLines } from "../subtitles/manifests.ts";

/** What the audio-only HLS master says about one variant. */
export interface AudioVariant {
  uri: string;
  bandwidth: number;
  averageBandwidth: number;
  codecs: string;
}

/**
 * Renders the HLS master playlist of an audio-only package: one EXT-X-STREAM-INF per AAC track,
 * highest bandwidth first, with BANDWIDTH, AVERAGE-BANDWIDTH and CODECS and no RESOLUTION (an
 * audio-only variant, RFC 8216 §4.3.4.2), each naming the SUBTITLES group when there are subtitle
 * renditions. Version 7: the segments are fragmented MP4 (EXT-X-MAP).
 */
export function renderAudioOnlyMaster(
  variants: readonly AudioVariant[],
  subtitles: readonly SubtitleTrack[] = [],
): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS", ...subtitleMediaLines(subtitles)];
  const subs = subtitles.length > 0 ? `,SUBTITLES="${SUBTITLE_GROUP}"` : "";
  for (const v of [...variants].sort((a, b) => b.bandwidth - a.bandwidth))
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${v.bandwidth},AVERAGE-BANDWIDTH=${v.averageBandwidth},CODECS="${v.codecs}"${subs}`,
      v.uri,
    );
  return `${lines.join("\n")}\n`;
}

/** The two manifests of an audio-only CMAF package. */
export interface AudioOnlyManifests {
  master: string;
  mpd: string;
  variants: AudioVariant[];
}

/**
 * The HLS master and the DASH MPD of an audio-only package over the same files: each track's
 * media playlist (`<dir>/index.m3u8`, written from its timeline) is an HLS variant, and a
 * Representation of the MPD's one audio AdaptationSet (no video AdaptationSet); subtitle
 * renditions are the HLS SUBTITLES group and the MPD's text AdaptationSets.
 */
export function audioOnlyManifests(
  tracks: readonly CmafAudioTrack[],
  subtitles: readonly SubtitleTrack[] = [],
): AudioOnlyManifests {
  const sorted = [...tracks].sort((a, b) => b.bps - a.bps);
  const variants = sorted.map((t) => ({
    uri: `${t.dir}/${TRACK_PLAYLIST}`,
    bandwidth: t.bandwidth,
    averageBandwidth: t.averageBandwidth,
    codecs: t.codecs,
  }));
  return {
    master: renderAudioOnlyMaster(variants, subtitles),
    mpd: renderMpd({ video: [], audio: sorted.map((t) => ({ id: t.group, track: t })), text: subtitles }),
    variants,
  };
}
