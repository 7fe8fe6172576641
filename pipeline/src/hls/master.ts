import { SUBTITLE_GROUP, type SubtitleTrack, subtitleMediaLines } from "../subtitles/manifests.ts";

/** What the master playlist says about one rendition. */
export interface VariantInfo {
  name: string;
  /** Media playlist URI relative to the master, e.g. `720p/index.m3u8`. */
  uri: string;
  /** Peak segment bitrate (bits/s), as HLS requires for BANDWIDTH. */
  bandwidth: number;
  averageBandwidth: number;
  width: number;
  height: number;
  fps: number;
  codecs: string;
  /** The HLS audio group the variant plays with (CMAF: audio is a track of its own). */
  audioGroup?: string;
}

/** One audio rendition of a CMAF master playlist, alone in its group. */
export interface AudioMediaInfo {
  group: string;
  /** Media playlist URI relative to the master, e.g. `1080p/audio/index.m3u8`. */
  uri: string;
  channels: number;
  /** Human-readable name, unique in the master. */
  name: string;
}

const H264_PROFILES: Record<string, { idc: number; constraints: number }> = {
  baseline: { idc: 66, constraints: 0xe0 },
  "constrained baseline": { idc: 66, constraints: 0xe0 },
  main: { idc: 77, constraints: 0x40 },
  high: { idc: 100, constraints: 0x00 },
};

const hex = (n: number) => n.toString(16).padStart(2, "0");

/** RFC 6381 codec string for H.264 from ffprobe's profile name and level (e.g. "High", 31 → avc1.64001f). */
export function avc1Codec(profile: string, level: number): string {
  const p = H264_PROFILES[profile.toLowerCase()] ?? H264_PROFILES.high!;
  return `avc1.${hex(p.idc)}${hex(p.constraints)}${hex(level)}`;
}

/** AAC-LC, the only audio codec the pipeline writes. */
export const AAC_LC = "mp4a.40.2";

/** Renders a master playlist, highest bandwidth first. */
export function renderMaster(variants: readonly VariantInfo[]): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"];
  for (const v of [...variants].sort((a, b) => b.bandwidth - a.bandwidth)) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${v.bandwidth},AVERAGE-BANDWIDTH=${v.averageBandwidth},` +
        `RESOLUTION=${v.width}x${v.height},FRAME-RATE=${v.fps.toFixed(3)},CODECS="${v.codecs}"`,
      v.uri,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Renders the master playlist of a CMAF package: one EXT-X-MEDIA per audio track (each its own
 * group, one per audio bitrate, as Apple's authoring guide lays out), then the video variants,
 * highest bandwidth first, each naming its audio group. BANDWIDTH and AVERAGE-BANDWIDTH of a
 * variant include its audio. Subtitle renditions, when there are any, are one SUBTITLES group
 * that every variant names. Version 7: fragmented MP4 segments need EXT-X-MAP (RFC 8216 §7).
 */
export function renderCmafMaster(
  variants: readonly VariantInfo[],
  audio: readonly AudioMediaInfo[],
  subtitles: readonly SubtitleTrack[] = [],
): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"];
  for (const a of audio)
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="${a.group}",NAME="${a.name}",DEFAULT=YES,AUTOSELECT=YES,` +
        `CHANNELS="${a.channels}",URI="${a.uri}"`,
    );
  lines.push(...subtitleMediaLines(subtitles));
  const subs = subtitles.length > 0 ? `,SUBTITLES="${SUBTITLE_GROUP}"` : "";
  for (const v of [...variants].sort((a, b) => b.bandwidth - a.bandwidth)) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${v.bandwidth},AVERAGE-BANDWIDTH=${v.averageBandwidth},` +
        `RESOLUTION=${v.width}x${v.height},FRAME-RATE=${v.fps.toFixed(3)},CODECS="${v.codecs}"` +
        (v.audioGroup ? `,AUDIO="${v.audioGroup}"` : "") +
        subs,
      v.uri,
    );
  }
  return `${lines.join("\n")}\n`;
}
