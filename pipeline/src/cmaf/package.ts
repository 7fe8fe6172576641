import { ReeltimeError } from "@reeltime/runtime";
import { renderMpd } from "../dash/mpd.ts";
import { type AudioMediaInfo, renderCmafMaster, type VariantInfo } from "../hls/master.ts";
import type { SubtitleTrack } from "../subtitles/manifests.ts";
import type { CmafAudioTrack, CmafRendition } from "./track.ts";
import { TRACK_PLAYLIST } from "./track.ts";

/** A finished CMAF rendition, as the manifests need it. */
export interface PackagedRendition extends VariantInfo {
  cmaf?: CmafRendition | undefined;
}

/** The two manifests of one CMAF package, and the variants the HLS master names. */
export interface CmafManifests {
  /** HLS master playlist (`master.m3u8`). */
  master: string;
  /** DASH MPD (`manifest.mpd`). */
  mpd: string;
  /** Each rendition as a variant: BANDWIDTH and AVERAGE-BANDWIDTH include its audio. */
  variants: VariantInfo[];
}

/**
 * Renders the HLS master playlist and the DASH MPD of a CMAF package from its renditions' tracks.
 * Both name the same files: `<rendition>/init.mp4` and `seg_NNNNN.m4s` for video, and the audio
 * tracks under `<rendition>/audio/`; the media playlists were written from the same timelines.
 * Subtitle renditions (WebVTT) are an HLS SUBTITLES group and one DASH text AdaptationSet each.
 */
export function cmafManifests(
  renditions: readonly PackagedRendition[],
  subtitles: readonly SubtitleTrack[] = [],
): CmafManifests {
  const audio = new Map<string, CmafAudioTrack>();
  for (const r of renditions) if (r.cmaf?.audio) audio.set(r.cmaf.audio.group, r.cmaf.audio);
  const variants: VariantInfo[] = renditions.map((r) => {
    if (!r.cmaf)
      throw new ReeltimeError(
        "REELTIME_ERR_PIPELINE",
        `rendition ${r.name} has no CMAF tracks (made as MPEG-TS?); run the job again to package it`,
      );
    const group = r.cmaf.audioGroup;
    const a = group === undefined ? undefined : audio.get(group);
    if (group !== undefined && !a)
      throw new ReeltimeError(
        "REELTIME_ERR_PIPELINE",
        `rendition ${r.name} plays audio ${group}, which no rendition encoded`,
      );
    return {
      name: r.name,
      width: r.width,
      height: r.height,
      fps: r.fps,
      codecs: r.codecs,
      uri: `${r.cmaf.video.dir}/${TRACK_PLAYLIST}`,
      bandwidth: r.cmaf.video.bandwidth + (a?.bandwidth ?? 0),
      averageBandwidth: r.cmaf.video.averageBandwidth + (a?.averageBandwidth ?? 0),
      ...(group === undefined ? {} : { audioGroup: group }),
    };
  });
  const tracks = [...audio.values()].sort((x, y) => y.bps - x.bps);
  const media: AudioMediaInfo[] = tracks.map((a) => ({
    group: a.group,
    uri: `${a.dir}/${TRACK_PLAYLIST}`,
    channels: a.channels,
    name: `AAC ${Math.round(a.bps / 1000)} kb/s`,
  }));
  return {
    master: renderCmafMaster(variants, media, subtitles),
    mpd: renderMpd({
      video: renditions.map((r) => ({
        id: r.name,
        track: r.cmaf!.video,
        width: r.width,
        height: r.height,
        fps: r.fps,
      })),
      audio: tracks.map((a) => ({ id: a.group, track: a })),
      text: subtitles,
    }),
    variants,
  };
}
