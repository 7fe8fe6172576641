import { ReeltimeError } from "@reeltime/runtime";
import type { MediaInfo } from "./ffmpeg/probe.ts";

/** One rung of the ladder, named after its short side ("720p" is 1280x720, or 720x1280 upright). */
export interface Rung {
  name: string;
  /** Short side, in pixels. */
  side: number;
  videoBps: number;
  audioBps: number;
  profile: "high" | "main" | "baseline";
}

export const DEFAULT_LADDER: readonly Rung[] = [
  { name: "1080p", side: 1080, videoBps: 5_000_000, audioBps: 128_000, profile: "high" },
  { name: "720p", side: 720, videoBps: 2_800_000, audioBps: 128_000, profile: "high" },
  { name: "480p", side: 480, videoBps: 1_400_000, audioBps: 96_000, profile: "main" },
  { name: "360p", side: 360, videoBps: 800_000, audioBps: 96_000, profile: "main" },
  { name: "240p", side: 240, videoBps: 400_000, audioBps: 64_000, profile: "main" },
];

/** A rung resolved against one source: output size and frame rate. */
export interface RenditionPlan extends Rung {
  width: number;
  height: number;
  fps: number;
  /** Frames per segment: the fixed GOP shared by every rendition. */
  gop: number;
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** Picks rungs by name (`["720p", "480p"]`); an unknown name is a usage error. */
export function selectRungs(names: readonly string[] | undefined, ladder: readonly Rung[] = DEFAULT_LADDER): Rung[] {
  if (!names || names.length === 0) return [...ladder];
  const out: Rung[] = [];
  for (const name of names) {
    const rung = ladder.find((r) => r.name === name.trim());
    if (!rung)
      throw new ReeltimeError(
        "REELTIME_ERR_USAGE",
        `unknown rendition "${name}"; choose from ${ladder.map((r) => r.name).join(", ")}`,
      );
    if (!out.includes(rung)) out.push(rung);
  }
  return out.sort((a, b) => b.side - a.side);
}

/** The output frame rate: the source's, unless unknown or above 60 fps (then 30). */
export function outputFps(info: MediaInfo): number {
  const fps = info.video?.fps;
  return fps && fps <= 60 ? Math.round(fps * 1000) / 1000 : 30;
}

/**
 * Resolves rungs against a source: rungs taller than the source are dropped (never upscale);
 * a source smaller than every rung gets one rendition at its own size.
 */
export function planRenditions(info: MediaInfo, rungs: readonly Rung[], segmentSeconds: number): RenditionPlan[] {
  const v = info.video;
  if (!v) return [];
  const w = v.displayWidth;
  const h = v.height;
  const portrait = h > w;
  const sourceSide = Math.min(w, h);
  let kept = rungs.filter((r) => r.side <= sourceSide);
  if (kept.length === 0) {
    const smallest = [...(rungs.length ? rungs : DEFAULT_LADDER)].sort((a, b) => a.side - b.side)[0]!;
    const side = even(sourceSide);
    kept = [{ ...smallest, name: `${side}p`, side }];
  }
  const fps = outputFps(info);
  const gop = Math.max(1, Math.round(fps * segmentSeconds));
  return kept.map((r) => {
    const long = even((r.side * Math.max(w, h)) / sourceSide);
    return { ...r, width: portrait ? r.side : long, height: portrait ? long : r.side, fps, gop };
  });
}

/**
 * How segments are written. `cmaf` (the default): fragmented MP4 (an init segment and .m4s media
 * segments per track, video and audio apart), named by both an HLS playlist set and a DASH MPD.
 * `ts`: MPEG-TS segments with audio and video muxed, HLS only, for players that cannot take
 * fragmented MP4 (HLS before iOS 10, old set-top boxes and smart TVs).
 */
export type SegmentFormat = "cmaf" | "ts";
export const SEGMENT_FORMATS: readonly SegmentFormat[] = ["cmaf", "ts"];

/** One AAC track of a CMAF package: a distinct audio bitrate of the ladder. */
export interface AudioPlan {
  /** HLS group id and DASH Representation id, e.g. `audio-128k`. */
  group: string;
  bps: number;
  /** The rendition that encodes it: the highest one with this audio bitrate. */
  owner: string;
}

export const audioGroupOf = (bps: number) => `audio-${Math.round(bps / 1000)}k`;

/** The audio tracks of a CMAF package: one per distinct audio bitrate among the renditions. */
export function planAudio(plans: readonly RenditionPlan[]): AudioPlan[] {
  const out: AudioPlan[] = [];
  for (const p of [...plans].sort((a, b) => b.side - a.side))
    if (!out.some((a) => a.bps === p.audioBps))
      out.push({ group: audioGroupOf(p.audioBps), bps: p.audioBps, owner: p.name });
  return out;
}
