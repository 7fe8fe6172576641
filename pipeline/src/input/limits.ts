/** What the pipeline accepts as a source. Anything outside fails fast with a clear reason. */
export interface InputLimits {
  /** Smallest side, in pixels. */
  minSide: number;
  /** Largest side, in pixels (8K is 7680). */
  maxSide: number;
  /** Largest picture, in pixels (width × height). */
  maxPixels: number;
  minDurationMs: number;
  maxDurationMs: number;
  /** Source video codecs (ffprobe names) the pipeline transcodes. */
  videoCodecs: readonly string[];
}

export const DEFAULT_LIMITS: InputLimits = {
  minSide: 32,
  maxSide: 8192,
  maxPixels: 8192 * 4352,
  minDurationMs: 100,
  maxDurationMs: 12 * 3600 * 1000,
  videoCodecs: [
    "h264",
    "hevc",
    "vp8",
    "vp9",
    "av1",
    "mpeg4",
    "mpeg2video",
    "mpeg1video",
    "prores",
    "dnxhd",
    "mjpeg",
    "theora",
    "vc1",
    "wmv3",
    "h263",
    "ffv1",
  ],
};
