/** One rendition of the live ladder. */
export interface LiveRendition {
  /** Folder and variant name, e.g. `360p`. */
  name: string;
  width: number;
  height: number;
  /** Video bitrate in kb/s (capped with maxrate = 1.1 x, buffer 2 x). */
  videoKbps: number;
  /** AAC bitrate in kb/s (each variant carries its own audio, muxed in the TS segments). */
  audioKbps: number;
}

/**
 * Two small renditions: both encode faster than real time on a shared 2-core machine (veryfast,
 * zerolatency; ffmpeg measured about 4x here with nothing else running), so the PDTs keep to the
 * wall clock.
 */
export const LIVE_LADDER: readonly LiveRendition[] = [
  { name: "360p", width: 640, height: 360, videoKbps: 800, audioKbps: 96 },
  { name: "240p", width: 426, height: 240, videoKbps: 300, audioKbps: 64 },
];

/** What the live encoder reads: ffmpeg's test source (picture + tone) or a file, played in a loop. */
export type LiveInput = { kind: "test" } | { kind: "file"; path: string; hasAudio: boolean };

export interface LiveCommandOptions {
  input: LiveInput;
  /** Folder ffmpeg writes to: `<dir>/<rendition>/index.m3u8`, `seg_<n>.ts`, and `<dir>/master.m3u8`. */
  dir: string;
  /** Segment length in seconds (default 2); the GOP is fps x this, closed, no scene-cut keyframes. */
  segmentSeconds?: number;
  /**
   * Segments kept in ffmpeg's own playlist. The uploader publishes its own window from it, so this
   * is the published window plus what the uploader may still hold back (see liveLocalListSize).
   */
  listSize: number;
  fps?: number;
  ladder?: readonly LiveRendition[];
}

export const DEFAULT_LIVE_FPS = 30;
export const DEFAULT_SEGMENT_SECONDS = 2;

/**
 * ffmpeg's arguments for a live HLS ladder (Debian's ffmpeg 5.1): input paced at its native rate
 * (`-re`; a file loops forever), one scale per rendition from a single decode, H.264 with a fixed
 * GOP of fps x segmentSeconds (`-sc_threshold 0`, keyframes forced on the segment grid) so every
 * segment is `segmentSeconds` long and starts with a keyframe, AAC audio per variant, MPEG-TS
 * segments, `#EXT-X-PROGRAM-DATE-TIME` on every segment. Media sequence numbers start at the
 * Unix time of the start (`-hls_start_number_source epoch`), so a restarted stream never reuses a
 * segment name or goes back in sequence (a cache or a player holding the old ones is never
 * confused). Progress blocks go to stdout (`-progress pipe:1`).
 *
 * LL-HLS parts (`#EXT-X-PART`, `#EXT-X-PRELOAD-HINT`) cannot be made: ffmpeg 5.1's HLS muxer has
 * no such option.
 */
export function liveFfmpegArgs(o: LiveCommandOptions): string[] {
  const seconds = o.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS;
  const fps = o.fps ?? DEFAULT_LIVE_FPS;
  const ladder = o.ladder ?? LIVE_LADDER;
  const gop = Math.round(fps * seconds);
  const inputs =
    o.input.kind === "test"
      ? [
          ...["-re", "-f", "lavfi", "-i", `testsrc2=size=${ladder[0]!.width}x${ladder[0]!.height}:rate=${fps}`],
          ...["-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"],
        ]
      : [
          ...["-re", "-stream_loop", "-1", "-i", o.input.path],
          // A file without sound gets silence, so every variant has the same audio+video layout.
          ...(o.input.hasAudio ? [] : ["-f", "lavfi", "-i", "anullsrc=channel_layout=stereo:sample_rate=48000"]),
        ];
  const audioInput = o.input.kind === "file" && o.input.hasAudio ? "0:a:0" : "1:a:0";
  const split = ladder.map((_, i) => `[s${i}]`).join("");
  const scales = ladder.map(
    (r, i) =>
      `[s${i}]scale=${r.width}:${r.height}:force_original_aspect_ratio=decrease,pad=${r.width}:${r.height}:-1:-1,setsar=1[v${i}]`,
  );
  const filter = [`[0:v:0]fps=${fps},format=yuv420p,split=${ladder.length}${split}`, ...scales].join(";");
  const perRendition = ladder.flatMap((r, i) => [
    `-b:v:${i}`,
    `${r.videoKbps}k`,
    `-maxrate:v:${i}`,
    `${Math.round(r.videoKbps * 1.1)}k`,
    `-bufsize:v:${i}`,
    `${r.videoKbps * 2}k`,
    `-b:a:${i}`,
    `${r.audioKbps}k`,
  ]);
  return [
    ...["-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-progress", "pipe:1"],
    ...inputs,
    ...["-filter_complex", filter],
    ...ladder.flatMap((_, i) => ["-map", `[v${i}]`]),
    ...ladder.flatMap(() => ["-map", audioInput]),
    ...["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "high"],
    ...["-g", String(gop), "-keyint_min", String(gop), "-sc_threshold", "0"],
    ...["-force_key_frames", `expr:gte(t,n_forced*${seconds})`],
    ...["-c:a", "aac", "-ac", "2", "-ar", "48000"],
    ...perRendition,
    ...["-f", "hls", "-hls_time", String(seconds), "-hls_list_size", String(o.listSize)],
    ...["-hls_flags", "program_date_time+independent_segments+temp_file+omit_endlist+delete_segments"],
    ...["-hls_delete_threshold", "2", "-hls_start_number_source", "epoch", "-hls_segment_type", "mpegts"],
    ...["-var_stream_map", ladder.map((r, i) => `v:${i},a:${i},name:${r.name}`).join(" ")],
    ...["-master_pl_name", "master.m3u8"],
    ...["-hls_segment_filename", `${o.dir}/%v/seg_%d.ts`],
    `${o.dir}/%v/index.m3u8`,
  ];
}

/**
 * ffmpeg's own list size for a published window: the window, what a hold of `delayMs` keeps
 * back, and two spare, so a segment is still on disk when the uploader publishes it.
 */
export function liveLocalListSize(window: number, segmentSeconds: number, delayMs: number): number {
  return window + Math.ceil(delayMs / (segmentSeconds * 1000)) + 2;
}
