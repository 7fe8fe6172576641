import type { Rendition } from "../contract.ts";

/** The part of an hls.js `Level` the SDK reads. */
export interface LevelLike {
  bitrate: number;
  width?: number;
  height?: number;
  name?: string;
  codecSet?: string;
  videoCodec?: string;
  audioCodec?: string;
}

/** A rendition as the contract knows it; its id joins the view to the ladder that served it. */
export function renditionOf(level: LevelLike, index: number): Rendition {
  // An audio-only level has no video codec; its codecSet is the family alone ("mp4a"), its audio codec the full one.
  const codecs = level.videoCodec ?? level.audioCodec ?? level.codecSet;
  return {
    id: (level.name || (level.height ? `${level.height}p` : String(index))).slice(0, 64),
    bitrate_bps: Math.max(0, Math.round(level.bitrate) || 0),
    ...(level.width ? { width: level.width } : {}),
    ...(level.height ? { height: level.height } : {}),
    ...(codecs ? { codecs: codecs.slice(0, 256) } : {}),
  };
}
