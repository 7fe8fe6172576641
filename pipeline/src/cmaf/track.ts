import type { Timeline } from "./timeline.ts";

/** The init segment of every CMAF track, beside its media segments. */
export const INIT_SEGMENT = "init.mp4";
/** ffmpeg's name pattern for the media segments of a track, numbered from 0. */
export const SEGMENT_PATTERN = "seg_%05d.m4s";
/** The same names as a DASH SegmentTemplate says them. */
export const DASH_SEGMENT_TEMPLATE = "seg_$Number%05d$.m4s";
/** The first segment's number. */
export const FIRST_SEGMENT = 0;
/** The media playlist of a track, written by the pipeline from its timeline. */
export const TRACK_PLAYLIST = "index.m3u8";

/** The `i`-th media segment's file name (`seg_00003.m4s`). */
export const segmentName = (i: number) => `seg_${String(FIRST_SEGMENT + i).padStart(5, "0")}.m4s`;

/** One CMAF track as written: a folder holding its init segment, media segments and media playlist. */
export interface CmafTrack {
  /** The track's folder under the video's media root, e.g. `720p` or `1080p/audio`. */
  dir: string;
  timeline: Timeline;
  /** RFC 6381 codec string of this track alone. */
  codecs: string;
  /** Peak segment bitrate, bits/s. */
  bandwidth: number;
  /** Media segment bytes over the track's duration, bits/s. */
  averageBandwidth: number;
  /** Init segment, media segments and media playlist, as uploaded. */
  bytes: number;
}

/** An AAC track, shared by every rendition of the same audio bitrate. */
export interface CmafAudioTrack extends CmafTrack {
  /** The HLS audio group and DASH Representation id, e.g. `audio-128k`. */
  group: string;
  /** Target bitrate. */
  bps: number;
  sampleRate: number;
  channels: number;
}

/** What a CMAF rendition adds to its result: its video track and the audio it plays with. */
export interface CmafRendition {
  video: CmafTrack;
  /** The audio group this rendition plays with (absent for a source without audio). */
  audioGroup?: string;
  /** The audio track, on the one rendition that encoded it: the highest with that audio bitrate. */
  audio?: CmafAudioTrack;
}
