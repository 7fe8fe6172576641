import { endSeconds, type Timeline } from "../cmaf/timeline.ts";
import {
  type CmafAudioTrack,
  type CmafTrack,
  DASH_SEGMENT_TEMPLATE,
  FIRST_SEGMENT,
  INIT_SEGMENT,
} from "../cmaf/track.ts";
import { type SubtitleTrack, subtitleRendition } from "../subtitles/manifests.ts";

/** One video Representation: a rendition's video track and its picture. */
export interface DashVideo {
  id: string;
  track: CmafTrack;
  width: number;
  height: number;
  fps: number;
}

/** One audio Representation. */
export interface DashAudio {
  id: string;
  track: CmafAudioTrack;
}

/** The DASH profiles the MPD claims: ISO BMFF live (SegmentTemplate) and CMAF. */
export const DASH_PROFILES = "urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019";
const AUDIO_CHANNELS_SCHEME = "urn:mpeg:dash:23003:3:audio_channel_configuration:2011";
const ROLE_SCHEME = "urn:mpeg:dash:role:2011";

const esc = (s: string | number) =>
  String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const attrs = (a: Record<string, string | number | undefined>) =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${esc(v!)}"`)
    .join("");

/** An xs:duration in seconds with millisecond precision, rounded up so nothing is cut off: PT6.037S. */
export function isoDuration(seconds: number): string {
  const ms = Math.ceil(Math.round(seconds * 1e6) / 1e3);
  return `PT${Math.floor(ms / 1000)}${
    ms % 1000
      ? `.${String(ms % 1000)
          .padStart(3, "0")
          .replace(/0+$/, "")}`
      : ""
  }S`;
}

/** A frame rate as DASH's FrameRateType says it: `25`, `30000/1001`, `12500/1000`. */
export function dashFrameRate(fps: number): string {
  if (Number.isInteger(fps)) return String(fps);
  const ntsc = Math.round(fps * 1.001);
  if (Math.abs(ntsc / 1.001 - fps) < 0.001) return `${ntsc * 1000}/1001`;
  return `${Math.round(fps * 1000)}/1000`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** SegmentTemplate with a SegmentTimeline over a track's files, relative to the MPD. */
function segmentTemplate(track: CmafTrack, indent: string): string[] {
  const t: Timeline = track.timeline;
  const lines = [
    `${indent}<SegmentTemplate${attrs({
      timescale: t.timescale,
      initialization: `${track.dir}/${INIT_SEGMENT}`,
      media: `${track.dir}/${DASH_SEGMENT_TEMPLATE}`,
      startNumber: FIRST_SEGMENT,
    })}>`,
    `${indent}  <SegmentTimeline>`,
  ];
  t.runs.forEach(([d, n], i) => {
    lines.push(`${indent}    <S${attrs({ t: i === 0 ? t.start : undefined, d, r: n > 1 ? n - 1 : undefined })}/>`);
  });
  lines.push(`${indent}  </SegmentTimeline>`, `${indent}</SegmentTemplate>`);
  return lines;
}

/**
 * Renders a static MPD (ISO/IEC 23009-1) over the same CMAF files the HLS playlists name: one
 * Period; one video AdaptationSet with a Representation per rendition, one audio AdaptationSet
 * with a Representation per audio bitrate, and a text AdaptationSet per subtitle language (its
 * WebVTT file whole, by BaseURL: the sidecar form dash.js and Shaka Player read). Segment times
 * come from the files (tfdt and sample durations), so every S@d equals the matching HLS EXTINF
 * to the microsecond.
 */
export function renderMpd(p: {
  video: readonly DashVideo[];
  audio: readonly DashAudio[];
  text?: readonly SubtitleTrack[] | undefined;
}): string {
  const tracks = [...p.video.map((v) => v.track), ...p.audio.map((a) => a.track)];
  const duration = Math.max(0, ...tracks.map((t) => endSeconds(t.timeline)));
  const maxSegment = Math.max(0, ...tracks.flatMap((t) => t.timeline.runs.map(([d]) => d / t.timeline.timescale)));
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<MPD${attrs({
      xmlns: "urn:mpeg:dash:schema:mpd:2011",
      profiles: DASH_PROFILES,
      type: "static",
      mediaPresentationDuration: isoDuration(duration),
      maxSegmentDuration: isoDuration(maxSegment),
      minBufferTime: isoDuration(Math.ceil(maxSegment)),
    })}>`,
    `  <Period id="0" start="PT0S">`,
  ];
  const video = [...p.video].sort((a, b) => b.track.bandwidth - a.track.bandwidth);
  if (video.length > 0) {
    const top = video.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    const d = gcd(top.width, top.height);
    lines.push(
      `    <AdaptationSet${attrs({
        id: 0,
        contentType: "video",
        mimeType: "video/mp4",
        par: `${top.width / d}:${top.height / d}`,
        maxWidth: Math.max(...video.map((v) => v.width)),
        maxHeight: Math.max(...video.map((v) => v.height)),
        maxFrameRate: dashFrameRate(Math.max(...video.map((v) => v.fps))),
        segmentAlignment: "true",
        startWithSAP: 1,
      })}>`,
    );
    for (const v of video) {
      lines.push(
        `      <Representation${attrs({
          id: v.id,
          bandwidth: v.track.bandwidth,
          codecs: v.track.codecs,
          width: v.width,
          height: v.height,
          frameRate: dashFrameRate(v.fps),
          sar: "1:1",
        })}>`,
        ...segmentTemplate(v.track, "        "),
        "      </Representation>",
      );
    }
    lines.push("    </AdaptationSet>");
  }
  if (p.audio.length > 0) {
    lines.push(
      `    <AdaptationSet${attrs({
        id: 1,
        contentType: "audio",
        mimeType: "audio/mp4",
        segmentAlignment: "true",
        startWithSAP: 1,
      })}>`,
      `      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="main"/>`,
    );
    for (const a of [...p.audio].sort((x, y) => y.track.bandwidth - x.track.bandwidth)) {
      lines.push(
        `      <Representation${attrs({
          id: a.id,
          bandwidth: a.track.bandwidth,
          codecs: a.track.codecs,
          audioSamplingRate: a.track.sampleRate,
        })}>`,
        `        <AudioChannelConfiguration${attrs({ schemeIdUri: AUDIO_CHANNELS_SCHEME, value: a.track.channels })}/>`,
        ...segmentTemplate(a.track, "        "),
        "      </Representation>",
      );
    }
    lines.push("    </AdaptationSet>");
  }
  (p.text ?? []).forEach((t, i) => {
    lines.push(
      `    <AdaptationSet${attrs({ id: 2 + i, contentType: "text", mimeType: "text/vtt", lang: t.language })}>`,
      // Label is of the Representation base, so it comes before the AdaptationSet's own Role.
      `      <Label>${esc(t.name)}</Label>`,
      `      <Role${attrs({ schemeIdUri: ROLE_SCHEME, value: "subtitle" })}/>`,
      `      <Representation${attrs({ id: subtitleRendition(t.language), bandwidth: t.bandwidth })}>`,
      `        <BaseURL>${esc(t.vtt)}</BaseURL>`,
      "      </Representation>",
      "    </AdaptationSet>",
    );
  });
  lines.push("  </Period>", "</MPD>");
  return `${lines.join("\n")}\n`;
}
